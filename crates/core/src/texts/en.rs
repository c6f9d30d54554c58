//! The English catalogue: plain words, sentence case, saying what to do.

use super::Text::{self, *};

/// The English of a key.
pub(super) fn text(key: Text) -> &'static str {
    match key {
        ServiceName => "Training programmes",
        SkipToContent => "Skip to main content",
        LanguageSwitch => "Language",
        PersonalLinkNote => "This link is yours alone: do not forward it.",
        HelpContact => "If you need help, contact {contact}.",
        HelpFallback => "the officer who sent you this link",
        ErrorTitlePrefix => "Error: ",
        ErrorSummaryTitle => "There is a problem",
        ErrorPrefix => "Error:",
        RequiredMark => "(required)",
        OptionalMark => "(optional)",
        ProgramLabel => "Programme",
        CohortLabel => "Cohort",
        UsedTitle => "This link has already been used",
        ExpiredTitle => "This link has expired",
        ExpiredBody => "It no longer takes answers. If you still want to answer, ask for it to be reopened.",
        ReplacedTitle => "This link has been replaced",
        ReplacedBody => "A newer link was sent to you: use that one. This one no longer works.",
        UnknownTitle => "This link does not work",
        UnknownBody => "Check that you copied the whole link from the message you received.",
        RecordedAt => "Recorded at {time} on {date}.",
        AnonymousNote => {
            "Your answers are anonymous: they are stored without your name, and results are shown only for groups large enough that no one can tell who said what."
        }
        NamedNote => "Your answers are recorded with your name, for the training department.",
        Yes => "Yes",
        No => "No",
        ChooseAll => "Select all that apply.",
        SendAnswers => "Send my answers",
        DeclineHeading => "If you will not answer",
        DeclineHint => "Tell us, so that we stop asking. You can say why if you like.",
        DeclineReason => "Why not?",
        DeclineButton => "I will not answer",
        AnsweredTitle => "Thank you: your answers are recorded",
        AnsweredAnonymous => {
            "This questionnaire is anonymous, so your answers are no longer linked to you and cannot be shown here."
        }
        YourAnswers => "Your answers",
        NotAnswered => "Not answered",
        DeclinedTitle => "You chose not to answer",
        DeclinedReason => "Your reason: {reason}",
        DeclinedAfter => "If you change your mind, ask for the questionnaire to be reopened.",
        PlanTitle => "Your action plan",
        PlanIntro => {
            "Describe one problem at your workplace that you will work on with what you learnt, and how you will measure progress. Save a draft at any time and come back with the same link."
        }
        PlanSentBack => "Your plan was sent back with these comments",
        PlanName => "What is your plan called?",
        PlanNameHint => "For example: Online filing of household registrations",
        PlanProblem => "What problem will it solve?",
        PlanProblemHint => "Describe the situation today and why it matters.",
        PlanItemHeading => "Step {number}",
        Indicator => "What will you measure?",
        IndicatorHint => "For example: share of procedures filed online",
        Baseline => "Where is it now?",
        BaselineHint => "For example: 10 %",
        Target => "What is the target?",
        TargetHint => "For example: 60 %",
        DueOn => "By when?",
        DateHint => "For example, 30 6 2025",
        Day => "Day",
        Month => "Month",
        Year => "Year",
        AddItem => "Add another step",
        RemoveItem => "Remove the last step",
        SaveDraft => "Save draft",
        SaveDraftHint => "Saving a draft keeps your plan; it is sent only when you submit it.",
        DraftSaved => "Your draft is saved. Come back with the same link to go on.",
        SubmitPlan => "Submit my plan",
        PlanSubmittedTitle => "Your action plan has been submitted",
        PlanSubmittedNext => {
            "The training department will review it. If they ask for changes, this link will open your plan again with their comments."
        }
        CheckpointTitle => "Your {months}-month follow-up report",
        CheckpointIntro => "Tell us how your action plan is going. This report is due on {date}.",
        Progress => "How far have you got?",
        Evidence => "What shows it?",
        EvidenceHint => "For example: a figure, a decision, a document",
        Barriers => "What is holding you back?",
        BarriersHint => "Anything that slows the plan down, and what would help.",
        SendReport => "Send my report",
        ReportedTitle => "Thank you: your report is recorded",
        ReportedNext => "The training department will read it, and may ask your supervisor to confirm it.",
        SupervisorTitle => "Review of a follow-up report",
        SupervisorIntro => {
            "{trainee} is reporting on their action plan, {months} months after the training. Please rate how you have seen each step applied at work, and say whether the report holds."
        }
        ReportedProgress => "Reported: {progress}",
        NotReportedYet => "Not reported yet",
        ObservedApplication => "How well have you seen this applied?",
        RatingLow => "not at all",
        RatingHigh => "fully",
        Comment => "Comment",
        ConfirmQuestion => "Does the trainee's report match what you have seen?",
        ConfirmYes => "Yes, I confirm it",
        ConfirmNo => "No, it does not match",
        SupervisorComment => "Anything else?",
        SendReview => "Send my review",
        ReviewedTitle => "Thank you: your review is recorded",
        CertificateLink => "Download your certificate (PDF)",
        ConsentsLink => "Your consents on your personal data",
        ConsentsTitle => "Your consents on your personal data",
        ConsentsIntro => {
            "These are the uses of your personal data you agreed to. You may withdraw your consent at any time; a withdrawal takes effect at once."
        }
        ConsentsNone => "No consent of yours has been recorded.",
        ConsentPartnerContacts => "Sharing your email address and phone number with {partner}",
        ConsentFollowUp => "Being contacted to follow up after you return",
        ConsentDepartmentReporting => "The training department's own reporting",
        ConsentGivenOn => "Given on {date}.",
        ConsentWithdrawnOn => "Withdrawn on {date}.",
        ConsentRequired => "The law requires this (Decree 13/2023/ND-CP), so it cannot be withdrawn.",
        WithdrawConsent => "Withdraw this consent",
        ConsentWithdrawnNotice => "Your consent is withdrawn. From now on your data is no longer used for that.",
        BackToYourPage => "Back to your page",
        VerifyTitle => "Check a certificate",
        VerifyIntro => "Enter the number and the verification code printed on the certificate.",
        CertificateNumber => "Certificate number",
        VerificationCode => "Verification code",
        VerificationCodeHint => "12 letters and digits, for example 7KQ2-M9XD-4TPA",
        VerifyButton => "Check",
        VerifyValid => "This certificate is valid",
        VerifyRevoked => "This certificate was revoked on {date}",
        VerifyUnknown => "No certificate has this number and code",
        VerifyUnknownBody => {
            "Check both against the certificate. The code uses no 0, O, 1 or I, so none of them can be mistaken for another."
        }
        Holder => "Holder",
        IssuedOn => "Issued on",
        CertificateHeading => "CERTIFICATE OF COMPLETION",
        CertificateCertifies => "This certifies that",
        CertificateCompleted => "has completed",
        CertificateDates => "Dates",
        CertificateFrom => "from",
        CertificateUntil => "until",
        CertificateScan => "Scan the QR code or open the address below to verify this certificate",
        TooManyTitle => "Too many requests",
        TooManyBody => "Wait {seconds} seconds, then try again.",
        CrossSiteTitle => "This form was sent from another site",
        CrossSiteBody => "Open the link from your message again and fill in the form there.",
        ServerErrorTitle => "Sorry, something went wrong",
        ServerErrorBody => "Nothing you entered was lost on our side; try again in a few minutes.",
        MailGreeting => "Dear {name},",
        MailSignOff => {
            "The link in this message is yours alone; please do not forward it. If you need help, reply to this message.\n\nTraining Department"
        }
        MailNoDeadline => "no deadline",
        MailDeadline => "{time} on {date} (Vietnam time)",
        MailInvitationSubject => "Please answer: {round} – {program}",
        MailInvitationBody => {
            "You are invited to answer \"{round}\" for the cohort {cohort} of the programme {program}.\n\nPlease answer by {deadline}.\n\nOpen this link to answer (or to decline, with a reason):\n{link}"
        }
        MailLinkReissuedSubject => "Your new link to answer: {round}",
        MailLinkReissuedBody => {
            "Your earlier link to answer \"{round}\" (cohort {cohort}, programme {program}) was replaced and no longer works.\n\nPlease answer by {deadline}.\n\nYour new link:\n{link}"
        }
        MailPlanLinkSubject => "Your action plan – {program}",
        MailPlanLinkBody => {
            "Please write your action plan for applying what you learnt in the cohort {cohort} of the programme {program}. You can save a draft and come back through the same link.\n\n{link}"
        }
        MailPlanReturnedSubject => "Your action plan needs changes – {program}",
        MailPlanReturnedBody => {
            "Your action plan (cohort {cohort}, programme {program}) was sent back for changes.\n\nThe officer's comments:\n{comments}\n\nOpen your plan again here:\n{link}"
        }
        MailCertificateSubject => "Your certificate of completion – {program}",
        MailCertificateBody => {
            "Congratulations on completing the cohort {cohort} of the programme {program}.\n\nCertificate number: {number}\nVerification code: {code}\n\nAnyone can verify the certificate at:\n{link}"
        }
        MailSessionScheduledSubject => "Session: {session} – {when}",
        MailSessionChangedSubject => "Session changed: {session} – {when}",
        MailSessionCancelledSubject => "Session cancelled: {session}",
        MailSessionBody => {
            "{intro}\n\nSession: {session}\nWhen: {when}\nWhere: {place}\nCohort: {cohort}, programme {program}\n\nThe attached calendar file updates your calendar."
        }
        MailSessionScheduledIntro => "A session of your cohort has been scheduled.",
        MailSessionChangedIntro => "A session of your cohort has changed; the new details are below.",
        MailSessionCancelledIntro => "The session below has been cancelled.",
        MailPlaceUnknown => "to be announced",
        MailRoundReminderSubject => "Reminder: please answer {round} – {program}",
        MailRoundReminderBody => {
            "You have not yet answered \"{round}\" for the cohort {cohort} of the programme {program}. It closes at {deadline}.\n\nOpen this link to answer (or to decline, with a reason):\n{link}"
        }
        MailPlanReminderSubject => "Reminder: your action plan – {program}",
        MailPlanReminderBody => {
            "You received the link to write your action plan for the cohort {cohort} of the programme {program} {days} days ago, and have not submitted it yet. Please finish and submit it here:\n{link}"
        }
        MailCheckpointDueSubject => "Your {months}-month follow-up report is coming due – {program}",
        MailCheckpointOverdueSubject => "Your {months}-month follow-up report is overdue – {program}",
        MailCheckpointBody => {
            "Your report on your action plan {months} months on (cohort {cohort}, programme {program}) is due on {due} (Vietnam time).\n\nOpen this link to report:\n{link}"
        }
        MailSupervisorReminderSubject => "Reminder: {trainee}'s {months}-month follow-up report",
        MailSupervisorReminderBody => {
            "{trainee} (cohort {cohort}, programme {program}) has a report on their action plan due {months} months on, on {due} (Vietnam time). Please rate how it is applied at work and confirm the report.\n\n{link}"
        }
        MailSupervisorNoLink => "The Training Department will send you the link to answer.",
        MailDigestSubject => "Digest for {date}: {count} overdue",
        MailDigestIntro => "These fell overdue since {since} (Vietnam time):",
        MailDigestCheckpoints => "- {count} follow-up reports overdue and not reported: {where}",
        MailDigestRounds => "- {count} rounds closed with {pending} invitations unanswered: {where}",
        MailDigestPlans => "- {count} action plans not submitted {days} days after their link: {where}",
        MailDigestNoAddress => {
            "- {count} messages could not go because the recipient has no email address; reach them another way: {where}"
        }
        MailDigestOutro => {
            "You get this because you asked for the daily digest; turn it off with PATCH /api/v1/auth/me and {\"daily_digest\": false}."
        }
    }
}
