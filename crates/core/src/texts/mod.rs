//! The words of the pages people open without an account (a trainee's questionnaire, action
//! plan and follow-up report, a supervisor's review, certificate verification), and of what is
//! printed for them: one catalogue per language, `vi.rs` and `en.rs`, each an exhaustive `match`
//! on [`Text`], so that a key missing from either does not compile; the tests below check what the
//! compiler cannot (the same placeholders in both, nothing left empty or untranslated).
//!
//! A problem's wording (a field that is required, a number out of range) is not here but in
//! [`crate::messages`], which the JSON answers use too; dates and numbers are written by
//! [`format`], as each language writes them.

mod en;
pub mod format;
mod vi;

use crate::messages::Lang;

macro_rules! texts {
    ($($(#[$doc:meta])* $key:ident,)*) => {
        /// A fixed text of the pages, by key.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Text {
            $($(#[$doc])* $key,)*
        }

        impl Text {
            /// Every key, for the tests that compare the catalogues.
            pub const ALL: &'static [Text] = &[$(Text::$key,)*];
        }
    };
}

texts! {
    /// The service's name, in the page header.
    ServiceName,
    /// The link that skips the header.
    SkipToContent,
    /// The language switch's label (for a screen reader).
    LanguageSwitch,
    /// The footer's reminder that the link is personal.
    PersonalLinkNote,
    /// Whom to ask for help: `{contact}`.
    HelpContact,
    /// Who to ask when no contact is configured.
    HelpFallback,
    /// Prefix of a page's title when its form has errors.
    ErrorTitlePrefix,
    /// The error summary's heading.
    ErrorSummaryTitle,
    /// Prefix of an error message, for screen readers.
    ErrorPrefix,
    /// After a required question's label.
    RequiredMark,
    /// After an optional question's label.
    OptionalMark,
    /// The programme, as a label.
    ProgramLabel,
    /// The cohort, as a label.
    CohortLabel,
    /// A page's title when the link was already used.
    UsedTitle,
    /// A page's title when the link expired.
    ExpiredTitle,
    /// What an expired link's page says.
    ExpiredBody,
    /// A page's title when a newer link replaced this one.
    ReplacedTitle,
    /// What a replaced link's page says.
    ReplacedBody,
    /// A page's title when the link opens nothing.
    UnknownTitle,
    /// What an unknown link's page says.
    UnknownBody,
    /// When something was recorded: `{date}`, `{time}`.
    RecordedAt,
    /// The questionnaire's note for an anonymous round.
    AnonymousNote,
    /// The questionnaire's note for a named round.
    NamedNote,
    /// A yes/no question's yes.
    Yes,
    /// A yes/no question's no.
    No,
    /// Hint under a multiple-choice question.
    ChooseAll,
    /// The questionnaire's submit button.
    SendAnswers,
    /// The heading of the decline section.
    DeclineHeading,
    /// What declining means.
    DeclineHint,
    /// The decline reason's label.
    DeclineReason,
    /// The decline button.
    DeclineButton,
    /// The receipt's title after answering.
    AnsweredTitle,
    /// The receipt's note for an anonymous round.
    AnsweredAnonymous,
    /// The receipt's heading over the recorded answers.
    YourAnswers,
    /// An unanswered optional question, in a receipt.
    NotAnswered,
    /// The receipt's title after declining.
    DeclinedTitle,
    /// The receipt of a decline, with its reason: `{reason}`.
    DeclinedReason,
    /// What to do to answer after declining.
    DeclinedAfter,
    /// The action plan page's title.
    PlanTitle,
    /// What the plan page is for.
    PlanIntro,
    /// The officer's comments when a plan was sent back.
    PlanSentBack,
    /// The plan's title field.
    PlanName,
    /// The plan's title hint.
    PlanNameHint,
    /// The plan's problem field.
    PlanProblem,
    /// The plan's problem hint.
    PlanProblemHint,
    /// The heading of item `{number}`.
    PlanItemHeading,
    /// An item's indicator.
    Indicator,
    /// The indicator's hint.
    IndicatorHint,
    /// An item's baseline.
    Baseline,
    /// The baseline's hint.
    BaselineHint,
    /// An item's target.
    Target,
    /// The target's hint.
    TargetHint,
    /// An item's due date.
    DueOn,
    /// How to write a date in a form.
    DateHint,
    /// The day of a date.
    Day,
    /// The month of a date.
    Month,
    /// The year of a date.
    Year,
    /// The button that adds an item.
    AddItem,
    /// The button that removes the last empty item.
    RemoveItem,
    /// The button that saves a draft.
    SaveDraft,
    /// What saving a draft means.
    SaveDraftHint,
    /// Shown after a draft was saved.
    DraftSaved,
    /// The button that submits the plan.
    SubmitPlan,
    /// The receipt's title after a plan is submitted.
    PlanSubmittedTitle,
    /// What happens next after a plan is submitted.
    PlanSubmittedNext,
    /// The checkpoint page's title: `{months}`.
    CheckpointTitle,
    /// What the checkpoint page is for: `{date}`.
    CheckpointIntro,
    /// An item's progress field.
    Progress,
    /// An item's evidence field.
    Evidence,
    /// The evidence field's hint.
    EvidenceHint,
    /// The barriers field.
    Barriers,
    /// The barriers field's hint.
    BarriersHint,
    /// The checkpoint's submit button.
    SendReport,
    /// The receipt's title after a report.
    ReportedTitle,
    /// What happens next after a report.
    ReportedNext,
    /// The supervisor page's title.
    SupervisorTitle,
    /// What the supervisor page is for: `{trainee}`, `{months}`.
    SupervisorIntro,
    /// The trainee's reported progress on an item: `{progress}`.
    ReportedProgress,
    /// Nothing reported yet on an item.
    NotReportedYet,
    /// The rating question of an item.
    ObservedApplication,
    /// The rating scale's lowest label.
    RatingLow,
    /// The rating scale's highest label.
    RatingHigh,
    /// An item's comment field.
    Comment,
    /// Whether the supervisor confirms the report.
    ConfirmQuestion,
    /// Yes, the report holds.
    ConfirmYes,
    /// No, it does not.
    ConfirmNo,
    /// The supervisor's general comment.
    SupervisorComment,
    /// The supervisor's submit button.
    SendReview,
    /// The receipt's title after a supervisor's review.
    ReviewedTitle,
    /// The certificate link on a trainee's page.
    CertificateLink,
    /// The link on a trainee's page to their consents.
    ConsentsLink,
    /// The consents page's title.
    ConsentsTitle,
    /// What the consents page is for.
    ConsentsIntro,
    /// No consent recorded.
    ConsentsNone,
    /// Sharing contacts with a partner: `{partner}`.
    ConsentPartnerContacts,
    /// Follow-up contact after return.
    ConsentFollowUp,
    /// The department's own reporting.
    ConsentDepartmentReporting,
    /// When a consent was given: `{date}`.
    ConsentGivenOn,
    /// When a consent was withdrawn: `{date}`.
    ConsentWithdrawnOn,
    /// Why the department's reporting cannot be withdrawn.
    ConsentRequired,
    /// The button that withdraws a consent.
    WithdrawConsent,
    /// The notice after a withdrawal.
    ConsentWithdrawnNotice,
    /// The link from the consents page back to the link's own page.
    BackToYourPage,
    /// The verification page's title.
    VerifyTitle,
    /// What the verification page is for.
    VerifyIntro,
    /// The certificate number's label.
    CertificateNumber,
    /// The verification code's label.
    VerificationCode,
    /// The code's hint.
    VerificationCodeHint,
    /// The verify button.
    VerifyButton,
    /// A valid certificate's heading.
    VerifyValid,
    /// A revoked certificate's heading: `{date}`.
    VerifyRevoked,
    /// An unknown certificate's heading.
    VerifyUnknown,
    /// What an unknown certificate means.
    VerifyUnknownBody,
    /// The holder, as a label.
    Holder,
    /// The issue date, as a label.
    IssuedOn,
    /// The certificate's heading.
    CertificateHeading,
    /// On the certificate, before the holder's name.
    CertificateCertifies,
    /// On the certificate, after the name, before the programme.
    CertificateCompleted,
    /// On the certificate, before the cohort's dates.
    CertificateDates,
    /// Before a period's first date when its last is unknown.
    CertificateFrom,
    /// Before a period's last date when its first is unknown.
    CertificateUntil,
    /// Above the certificate's QR code.
    CertificateScan,
    /// Too many requests: `{seconds}`.
    TooManyTitle,
    /// What to do about too many requests: `{seconds}`.
    TooManyBody,
    /// A form posted from another site.
    CrossSiteTitle,
    /// What to do about a form posted from another site.
    CrossSiteBody,
    /// The server failed.
    ServerErrorTitle,
    /// What to do when the server failed.
    ServerErrorBody,
    /// A mail's greeting: `{name}`.
    MailGreeting,
    /// A mail's closing lines.
    MailSignOff,
    /// A deadline that is not set.
    MailNoDeadline,
    /// A deadline, in Vietnam's time: `{time}`, `{date}`.
    MailDeadline,
    /// Subject of an invitation to answer a round: `{round}`, `{program}`.
    MailInvitationSubject,
    /// Body of an invitation to answer a round: `{program}`, `{cohort}`, `{round}`, `{deadline}`, `{link}`.
    MailInvitationBody,
    /// Subject of a reissued link: `{round}`.
    MailLinkReissuedSubject,
    /// Body of a reissued link: `{program}`, `{cohort}`, `{round}`, `{deadline}`, `{link}`.
    MailLinkReissuedBody,
    /// Subject of an action plan's link: `{program}`.
    MailPlanLinkSubject,
    /// Body of an action plan's link: `{program}`, `{cohort}`, `{link}`.
    MailPlanLinkBody,
    /// Subject of a plan sent back: `{program}`.
    MailPlanReturnedSubject,
    /// Body of a plan sent back: `{program}`, `{cohort}`, `{comments}`, `{link}`.
    MailPlanReturnedBody,
    /// Subject of a certificate issued: `{program}`.
    MailCertificateSubject,
    /// Body of a certificate issued: `{program}`, `{cohort}`, `{number}`, `{code}`, `{link}`.
    MailCertificateBody,
    /// Subject of a session scheduled: `{session}`, `{when}`.
    MailSessionScheduledSubject,
    /// Subject of a session changed: `{session}`, `{when}`.
    MailSessionChangedSubject,
    /// Subject of a session cancelled: `{session}`.
    MailSessionCancelledSubject,
    /// Body of a session's mail: `{intro}`, `{session}`, `{when}`, `{place}`, `{program}`, `{cohort}`.
    MailSessionBody,
    /// What a session scheduled says first.
    MailSessionScheduledIntro,
    /// What a session changed says first.
    MailSessionChangedIntro,
    /// What a session cancelled says first.
    MailSessionCancelledIntro,
    /// A session's place that is not set.
    MailPlaceUnknown,    /// Subject of a reminder to answer a round: `{round}`, `{program}`.
    MailRoundReminderSubject,
    /// Body of a reminder to answer a round: `{program}`, `{cohort}`, `{round}`, `{deadline}`, `{link}`.
    MailRoundReminderBody,
    /// Subject of a reminder to submit an action plan: `{program}`.
    MailPlanReminderSubject,
    /// Body of a reminder to submit an action plan: `{program}`, `{cohort}`, `{days}`, `{link}`.
    MailPlanReminderBody,
    /// Subject of a reminder of a follow-up report coming due: `{months}`, `{program}`.
    MailCheckpointDueSubject,
    /// Subject of a reminder of an overdue follow-up report: `{months}`, `{program}`.
    MailCheckpointOverdueSubject,
    /// Body of a reminder of a follow-up report: `{program}`, `{cohort}`, `{months}`, `{due}`, `{link}`.
    MailCheckpointBody,
    /// Subject of a reminder to a trainee's supervisor: `{trainee}`, `{months}`.
    MailSupervisorReminderSubject,
    /// Body of a reminder to a trainee's supervisor: `{trainee}`, `{program}`, `{cohort}`, `{months}`, `{due}`, `{link}`.
    MailSupervisorReminderBody,
    /// What a supervisor's reminder says when their link is not open.
    MailSupervisorNoLink,
    /// Subject of an officer's digest: `{date}`, `{count}`.
    MailDigestSubject,
    /// What an officer's digest says first: `{since}`.
    MailDigestIntro,
    /// A digest's line on follow-up reports: `{count}`, `{where}`.
    MailDigestCheckpoints,
    /// A digest's line on rounds closed unanswered: `{count}`, `{pending}`, `{where}`.
    MailDigestRounds,
    /// A digest's line on plans not submitted: `{count}`, `{days}`, `{where}`.
    MailDigestPlans,
    /// A digest's line on people to reach another way: `{count}`, `{where}`.
    MailDigestNoAddress,
    /// What an officer's digest says last.
    MailDigestOutro,
}

impl Text {
    /// The text in `lang`.
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => vi::text(self),
            Lang::En => en::text(self),
        }
    }

    /// The text in `lang` with each `{name}` replaced by its value.
    pub fn fill(self, lang: Lang, values: &[(&str, &str)]) -> String {
        fill(self.get(lang), values)
    }
}

/// `template` with each `{name}` replaced by its value, in one pass: a mail is filled once per
/// recipient (10,000 for a large round), and one `replace` per value copied the text once per
/// value. A value is never searched for placeholders itself (a round titled `{link}` stays so),
/// and a `{…}` that names no value is left as it is.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = String::with_capacity(template.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        text.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let named = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, value)| (close, *value))
        });
        match named {
            Some((close, value)) => {
                text.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                text.push('{');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    text
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn fill_replaces_every_placeholder_once_and_leaves_values_alone() {
        let values = [("name", "Lê {link}"), ("link", "https://x/l/1")];
        assert_eq!(
            fill("{name}: {link}, {link}; {other} {", &values),
            "Lê {link}: https://x/l/1, https://x/l/1; {other} {"
        );
        assert_eq!(fill("no placeholder", &values), "no placeholder");
        assert_eq!(fill("{{name}}", &values), "{Lê {link}}");
    }

    fn placeholders(text: &str) -> BTreeSet<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn both_languages_have_every_key_with_the_same_placeholders() {
        for &key in Text::ALL {
            let (vi, en) = (key.get(Lang::Vi), key.get(Lang::En));
            assert!(
                !vi.trim().is_empty() && !en.trim().is_empty(),
                "{key:?} is empty in one language"
            );
            assert_eq!(
                placeholders(vi),
                placeholders(en),
                "{key:?}: the two languages fill different values"
            );
        }
    }

    #[test]
    fn no_vietnamese_text_is_left_in_english() {
        // Words the two languages share (a name, a sign) may be equal; anything longer is untranslated.
        let untranslated: Vec<_> = Text::ALL
            .iter()
            .filter(|key| key.get(Lang::Vi) == key.get(Lang::En) && key.get(Lang::En).len() > 12)
            .collect();
        assert!(untranslated.is_empty(), "left in English in vi.rs: {untranslated:?}");
    }

    #[test]
    fn a_placeholder_is_filled() {
        assert_eq!(
            Text::HelpContact.fill(Lang::En, &[("contact", "the training office")]),
            "If you need help, contact the training office."
        );
    }
}
