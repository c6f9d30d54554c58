//! The Vietnamese catalogue, the pages' default: plain words, no title case.

use super::Text::{self, *};

/// The Vietnamese of a key.
pub(super) fn text(key: Text) -> &'static str {
    match key {
        ServiceName => "Chương trình đào tạo",
        SkipToContent => "Chuyển đến nội dung chính",
        LanguageSwitch => "Ngôn ngữ",
        PersonalLinkNote => "Đường dẫn này chỉ dành cho bạn: xin đừng chuyển cho người khác.",
        HelpContact => "Nếu cần hỗ trợ, xin liên hệ {contact}.",
        HelpFallback => "cán bộ đã gửi đường dẫn này cho bạn",
        ErrorTitlePrefix => "Lỗi: ",
        ErrorSummaryTitle => "Có thông tin cần sửa",
        ErrorPrefix => "Lỗi:",
        RequiredMark => "(bắt buộc)",
        OptionalMark => "(không bắt buộc)",
        ProgramLabel => "Chương trình",
        CohortLabel => "Khóa",
        UsedTitle => "Đường dẫn này đã được sử dụng",
        ExpiredTitle => "Đường dẫn này đã hết hạn",
        ExpiredBody => "Đường dẫn không còn nhận trả lời. Nếu bạn vẫn muốn trả lời, xin đề nghị mở lại.",
        ReplacedTitle => "Đường dẫn này đã được thay thế",
        ReplacedBody => {
            "Bạn đã được gửi một đường dẫn mới hơn: xin dùng đường dẫn đó. Đường dẫn này không còn hiệu lực."
        }
        UnknownTitle => "Đường dẫn này không dùng được",
        UnknownBody => "Xin kiểm tra bạn đã sao chép đầy đủ đường dẫn trong tin nhắn nhận được.",
        RecordedAt => "Đã ghi nhận lúc {time} ngày {date}.",
        AnonymousNote => {
            "Câu trả lời của bạn được ẩn danh: chúng được lưu không kèm tên bạn, và kết quả chỉ được hiển thị cho nhóm đủ đông để không ai biết ai đã trả lời gì."
        }
        NamedNote => "Câu trả lời của bạn được ghi nhận kèm tên, để phòng đào tạo sử dụng.",
        Yes => "Có",
        No => "Không",
        ChooseAll => "Chọn tất cả các ý phù hợp.",
        SendAnswers => "Gửi câu trả lời",
        DeclineHeading => "Nếu bạn không trả lời",
        DeclineHint => "Xin cho chúng tôi biết để không nhắc lại. Bạn có thể nêu lý do nếu muốn.",
        DeclineReason => "Vì sao bạn không trả lời?",
        DeclineButton => "Tôi không trả lời",
        AnsweredTitle => "Cảm ơn bạn: câu trả lời đã được ghi nhận",
        AnsweredAnonymous => "Phiếu này ẩn danh, nên câu trả lời không còn gắn với bạn và không thể hiển thị ở đây.",
        YourAnswers => "Câu trả lời của bạn",
        NotAnswered => "Không trả lời",
        DeclinedTitle => "Bạn đã chọn không trả lời",
        DeclinedReason => "Lý do của bạn: {reason}",
        DeclinedAfter => "Nếu bạn đổi ý, xin đề nghị mở lại phiếu.",
        PlanTitle => "Kế hoạch hành động của bạn",
        PlanIntro => {
            "Nêu một vấn đề tại cơ quan mà bạn sẽ giải quyết bằng những gì đã học, và cách đo kết quả. Bạn có thể lưu bản nháp bất cứ lúc nào và quay lại bằng chính đường dẫn này."
        }
        PlanSentBack => "Kế hoạch của bạn được gửi lại kèm ý kiến sau",
        PlanName => "Tên kế hoạch của bạn là gì?",
        PlanNameHint => "Ví dụ: Tiếp nhận hồ sơ đăng ký hộ tịch trực tuyến",
        PlanProblem => "Kế hoạch giải quyết vấn đề gì?",
        PlanProblemHint => "Mô tả tình hình hiện nay và vì sao vấn đề quan trọng.",
        PlanItemHeading => "Bước {number}",
        Indicator => "Bạn sẽ đo điều gì?",
        IndicatorHint => "Ví dụ: tỷ lệ hồ sơ nộp trực tuyến",
        Baseline => "Hiện nay đạt mức nào?",
        BaselineHint => "Ví dụ: 10 %",
        Target => "Mục tiêu là bao nhiêu?",
        TargetHint => "Ví dụ: 60 %",
        DueOn => "Hoàn thành trước ngày nào?",
        DateHint => "Ví dụ: 30 6 2025",
        Day => "Ngày",
        Month => "Tháng",
        Year => "Năm",
        AddItem => "Thêm một bước",
        RemoveItem => "Bỏ bước cuối",
        SaveDraft => "Lưu bản nháp",
        SaveDraftHint => "Lưu bản nháp giữ lại kế hoạch của bạn; kế hoạch chỉ được gửi đi khi bạn bấm nộp.",
        DraftSaved => "Bản nháp đã được lưu. Hãy quay lại bằng chính đường dẫn này để viết tiếp.",
        SubmitPlan => "Nộp kế hoạch",
        PlanSubmittedTitle => "Kế hoạch hành động của bạn đã được nộp",
        PlanSubmittedNext => {
            "Phòng đào tạo sẽ xem xét. Nếu cần chỉnh sửa, đường dẫn này sẽ mở lại kế hoạch kèm ý kiến của họ."
        }
        CheckpointTitle => "Báo cáo theo dõi sau {months} tháng",
        CheckpointIntro => "Xin cho biết kế hoạch hành động của bạn tiến triển thế nào. Hạn nộp báo cáo: {date}.",
        Progress => "Bạn đã thực hiện đến đâu?",
        Evidence => "Điều gì cho thấy kết quả đó?",
        EvidenceHint => "Ví dụ: một số liệu, một quyết định, một văn bản",
        Barriers => "Điều gì đang cản trở bạn?",
        BarriersHint => "Những gì làm chậm kế hoạch, và điều gì sẽ giúp ích.",
        SendReport => "Gửi báo cáo",
        ReportedTitle => "Cảm ơn bạn: báo cáo đã được ghi nhận",
        ReportedNext => "Phòng đào tạo sẽ đọc báo cáo, và có thể đề nghị thủ trưởng trực tiếp của bạn xác nhận.",
        SupervisorTitle => "Đánh giá báo cáo theo dõi",
        SupervisorIntro => {
            "{trainee} báo cáo về kế hoạch hành động của mình, {months} tháng sau khóa đào tạo. Xin ông/bà đánh giá mức độ áp dụng từng bước mà ông/bà quan sát được tại cơ quan, và cho biết báo cáo có đúng không."
        }
        ReportedProgress => "Đã báo cáo: {progress}",
        NotReportedYet => "Chưa báo cáo",
        ObservedApplication => "Mức độ áp dụng mà ông/bà quan sát được?",
        RatingLow => "chưa áp dụng",
        RatingHigh => "áp dụng đầy đủ",
        Comment => "Nhận xét",
        ConfirmQuestion => "Báo cáo của học viên có đúng với những gì ông/bà quan sát được không?",
        ConfirmYes => "Có, tôi xác nhận",
        ConfirmNo => "Không, chưa đúng",
        SupervisorComment => "Ông/bà có ý kiến gì thêm không?",
        SendReview => "Gửi đánh giá",
        ReviewedTitle => "Cảm ơn ông/bà: đánh giá đã được ghi nhận",
        CertificateLink => "Tải giấy chứng nhận (PDF)",
        ConsentsLink => "Sự đồng ý về dữ liệu cá nhân của bạn",
        ConsentsTitle => "Sự đồng ý về dữ liệu cá nhân",
        ConsentsIntro => {
            "Đây là những việc bạn đã đồng ý cho sử dụng dữ liệu cá nhân của mình. Bạn có thể rút lại sự đồng ý bất cứ lúc nào; việc rút lại có hiệu lực ngay."
        }
        ConsentsNone => "Chưa có sự đồng ý nào của bạn được ghi nhận.",
        ConsentPartnerContacts => "Chia sẻ địa chỉ thư điện tử và số điện thoại của bạn với {partner}",
        ConsentFollowUp => "Được liên hệ để theo dõi kết quả sau khi bạn trở về",
        ConsentDepartmentReporting => "Báo cáo của cơ quan đào tạo",
        ConsentGivenOn => "Đồng ý ngày {date}.",
        ConsentWithdrawnOn => "Đã rút lại ngày {date}.",
        ConsentRequired => "Pháp luật yêu cầu việc này (Nghị định 13/2023/NĐ-CP), nên không thể rút lại.",
        WithdrawConsent => "Rút lại sự đồng ý này",
        ConsentWithdrawnNotice => "Bạn đã rút lại sự đồng ý. Từ nay dữ liệu của bạn không còn được dùng vào việc đó.",
        BackToYourPage => "Quay lại trang của bạn",
        VerifyTitle => "Kiểm tra giấy chứng nhận",
        VerifyIntro => "Nhập số và mã xác thực in trên giấy chứng nhận.",
        CertificateNumber => "Số giấy chứng nhận",
        VerificationCode => "Mã xác thực",
        VerificationCodeHint => "12 chữ và số, ví dụ 7KQ2-M9XD-4TPA",
        VerifyButton => "Kiểm tra",
        VerifyValid => "Giấy chứng nhận này hợp lệ",
        VerifyRevoked => "Giấy chứng nhận này đã bị thu hồi ngày {date}",
        VerifyUnknown => "Không có giấy chứng nhận nào có số và mã này",
        VerifyUnknownBody => {
            "Xin đối chiếu lại cả hai với giấy chứng nhận. Mã không dùng số 0, chữ O, số 1 và chữ I nên không thể nhầm giữa chúng."
        }
        Holder => "Người được cấp",
        IssuedOn => "Ngày cấp",
        CertificateHeading => "GIẤY CHỨNG NHẬN",
        CertificateCertifies => "Chứng nhận",
        CertificateCompleted => "đã hoàn thành",
        CertificateDates => "Thời gian",
        CertificateFrom => "từ",
        CertificateUntil => "đến",
        CertificateScan => "Quét mã QR hoặc mở địa chỉ dưới đây để xác minh giấy chứng nhận",
        TooManyTitle => "Quá nhiều yêu cầu",
        TooManyBody => "Xin chờ {seconds} giây rồi thử lại.",
        CrossSiteTitle => "Biểu mẫu này được gửi từ một trang khác",
        CrossSiteBody => "Xin mở lại đường dẫn trong tin nhắn của bạn và điền biểu mẫu tại đó.",
        ServerErrorTitle => "Xin lỗi, đã có lỗi xảy ra",
        ServerErrorBody => "Những gì bạn đã nhập không bị mất ở phía chúng tôi; xin thử lại sau vài phút.",
        MailGreeting => "Kính gửi {name},",
        MailSignOff => {
            "Đường dẫn trong thư này chỉ dành cho bạn; xin đừng chuyển tiếp. Nếu cần hỗ trợ, xin trả lời thư này.\n\nPhòng Đào tạo"
        }
        MailNoDeadline => "không có hạn",
        MailDeadline => "{time} ngày {date} (giờ Việt Nam)",
        MailInvitationSubject => "Mời trả lời phiếu: {round} – {program}",
        MailInvitationBody => {
            "Bạn được mời trả lời phiếu \"{round}\" của khóa {cohort}, chương trình {program}.\n\nHạn trả lời: {deadline}.\n\nMở đường dẫn sau để trả lời (hoặc từ chối, kèm lý do):\n{link}"
        }
        MailLinkReissuedSubject => "Đường dẫn mới để trả lời phiếu: {round}",
        MailLinkReissuedBody => {
            "Đường dẫn trước đây của bạn để trả lời phiếu \"{round}\" (khóa {cohort}, chương trình {program}) đã được thay thế và không còn dùng được.\n\nHạn trả lời: {deadline}.\n\nĐường dẫn mới:\n{link}"
        }
        MailPlanLinkSubject => "Kế hoạch hành động của bạn – {program}",
        MailPlanLinkBody => {
            "Xin lập kế hoạch hành động áp dụng những gì bạn học được ở khóa {cohort}, chương trình {program}. Bạn có thể lưu bản nháp và quay lại bằng cùng đường dẫn.\n\n{link}"
        }
        MailPlanReturnedSubject => "Kế hoạch hành động cần chỉnh sửa – {program}",
        MailPlanReturnedBody => {
            "Kế hoạch hành động của bạn (khóa {cohort}, chương trình {program}) được gửi lại để chỉnh sửa.\n\nÝ kiến của cán bộ:\n{comments}\n\nMở lại kế hoạch bằng đường dẫn:\n{link}"
        }
        MailCertificateSubject => "Giấy chứng nhận hoàn thành – {program}",
        MailCertificateBody => {
            "Chúc mừng bạn đã hoàn thành khóa {cohort}, chương trình {program}.\n\nSố giấy chứng nhận: {number}\nMã xác minh: {code}\n\nBất kỳ ai cũng có thể xác minh giấy chứng nhận tại:\n{link}"
        }
        MailSessionScheduledSubject => "Lịch học: {session} – {when}",
        MailSessionChangedSubject => "Thay đổi lịch học: {session} – {when}",
        MailSessionCancelledSubject => "Hủy buổi học: {session}",
        MailSessionBody => {
            "{intro}\n\nBuổi học: {session}\nThời gian: {when}\nĐịa điểm: {place}\nKhóa: {cohort}, chương trình {program}\n\nTệp lịch đính kèm cập nhật lịch của bạn."
        }
        MailSessionScheduledIntro => "Một buổi học của khóa bạn đã được lên lịch.",
        MailSessionChangedIntro => "Một buổi học của khóa bạn đã thay đổi; thông tin mới ở dưới đây.",
        MailSessionCancelledIntro => "Buổi học dưới đây đã bị hủy.",
        MailPlaceUnknown => "sẽ thông báo sau",
        MailRoundReminderSubject => "Nhắc trả lời phiếu: {round} – {program}",
        MailRoundReminderBody => {
            "Bạn chưa trả lời phiếu \"{round}\" của khóa {cohort}, chương trình {program}. Phiếu đóng lúc {deadline}.\n\nMở đường dẫn sau để trả lời (hoặc từ chối, kèm lý do):\n{link}"
        }
        MailPlanReminderSubject => "Nhắc nộp kế hoạch hành động – {program}",
        MailPlanReminderBody => {
            "Bạn đã nhận đường dẫn lập kế hoạch hành động cho khóa {cohort}, chương trình {program} từ {days} ngày trước nhưng chưa nộp. Xin hoàn thành và nộp kế hoạch bằng đường dẫn:\n{link}"
        }
        MailCheckpointDueSubject => "Sắp đến hạn báo cáo sau {months} tháng – {program}",
        MailCheckpointOverdueSubject => "Báo cáo sau {months} tháng đã quá hạn – {program}",
        MailCheckpointBody => {
            "Báo cáo tiến độ kế hoạch hành động sau {months} tháng (khóa {cohort}, chương trình {program}) có hạn ngày {due} (giờ Việt Nam).\n\nMở đường dẫn sau để báo cáo:\n{link}"
        }
        MailSupervisorReminderSubject => "Nhắc xác nhận báo cáo sau {months} tháng của {trainee}",
        MailSupervisorReminderBody => {
            "{trainee} (khóa {cohort}, chương trình {program}) có báo cáo tiến độ kế hoạch hành động sau {months} tháng, hạn ngày {due} (giờ Việt Nam). Xin ông/bà đánh giá việc áp dụng và xác nhận báo cáo.\n\n{link}"
        }
        MailSupervisorNoLink => "Phòng Đào tạo sẽ gửi đường dẫn để ông/bà trả lời.",
        MailDigestSubject => "Tóm tắt ngày {date}: {count} việc quá hạn",
        MailDigestIntro => "Những việc sau đã quá hạn kể từ {since} (giờ Việt Nam):",
        MailDigestCheckpoints => "- {count} báo cáo theo dõi sau khóa học quá hạn mà chưa nộp: {where}",
        MailDigestRounds => "- {count} phiếu đánh giá đã đóng với {pending} lời mời chưa trả lời: {where}",
        MailDigestPlans => "- {count} kế hoạch hành động chưa nộp sau {days} ngày kể từ khi gửi đường dẫn: {where}",
        MailDigestNoAddress => {
            "- {count} thư không gửi được vì người nhận không có địa chỉ thư điện tử; cần liên hệ cách khác: {where}"
        }
        MailDigestOutro => {
            "Bạn nhận thư này vì đã đăng ký nhận tóm tắt hằng ngày; tắt bằng PATCH /api/v1/auth/me với {\"daily_digest\": false}."
        }
    }
}
