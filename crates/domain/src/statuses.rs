//! The statuses that several resources read and filter by, below all of them: where an enrolment
//! stands (and which ones hold a seat), and whether an invitation was answered. Their moves are
//! the rules of `enrollments` and `invitations`; the names are shared.

use crate::ids::text_enum;

text_enum!(
    /// Where an enrolment stands.
    EnrollmentStatus {
        /// Proposed; not yet decided.
        Nominated,
        /// Holds a seat.
        Enrolled,
        /// Waits for a seat; enrolled automatically when one frees up, longest-waiting first.
        Waitlisted,
        /// Not accepted.
        Rejected,
        /// Left after enrolling; the seat went to the waitlist.
        Withdrawn,
        /// Finished the training; has a certificate number.
        Completed,
        /// Took part but did not finish.
        DidNotComplete,
        /// A nomination the programme's reviewing partner accepted (or an officer for it); an
        /// officer may now seat it. Only where a partner reviews nominations.
        Accepted,
        /// A nomination the programme's reviewing partner declined, with the reason.
        Declined,
    }
);

/// The statuses of a nomination awaiting or given the partner's decision, which a liaison of a
/// reviewing partner sees with its eligibility.
pub const DECIDING: [EnrollmentStatus; 3] = [
    EnrollmentStatus::Nominated,
    EnrollmentStatus::Accepted,
    EnrollmentStatus::Declined,
];

/// The statuses that hold a seat in the cohort, and that a liaison may see.
pub const SEATED: [EnrollmentStatus; 3] = [
    EnrollmentStatus::Enrolled,
    EnrollmentStatus::Completed,
    EnrollmentStatus::DidNotComplete,
];

/// The statuses that do not hold a seat yet but may be moved to one (by an officer, or from the
/// waitlist when a seat frees up).
pub const AWAITING_SEAT: [EnrollmentStatus; 3] = [
    EnrollmentStatus::Nominated,
    EnrollmentStatus::Accepted,
    EnrollmentStatus::Waitlisted,
];

impl EnrollmentStatus {
    /// The statuses this one may move to.
    pub fn next(self) -> &'static [EnrollmentStatus] {
        use EnrollmentStatus::*;
        match self {
            Nominated => &[Enrolled, Waitlisted, Rejected, Withdrawn, Accepted, Declined],
            Accepted => &[Enrolled, Waitlisted, Rejected, Withdrawn],
            Waitlisted => &[Enrolled, Withdrawn, Rejected],
            Enrolled => &[Withdrawn, Completed, DidNotComplete],
            Rejected | Withdrawn | Completed | DidNotComplete | Declined => &[],
        }
    }

    /// Whether it holds a seat.
    pub fn is_seated(self) -> bool {
        SEATED.contains(&self)
    }

    /// Whether it is the partner's decision on a nomination.
    pub fn is_decision(self) -> bool {
        matches!(self, EnrollmentStatus::Accepted | EnrollmentStatus::Declined)
    }

    /// Whether it is final: completed, did not complete, withdrawn, rejected or declined.
    pub fn is_final(self) -> bool {
        self.next().is_empty()
    }
}

text_enum!(
    /// Whether an invited trainee has answered.
    InvitationStatus {
        /// Not yet answered; the link works while the round takes answers.
        Pending,
        /// Answered (through the link, or on paper entered by an officer).
        Submitted,
        /// Said through the link that they will not answer.
        Declined,
        /// Not answered when the round closed (by an officer, or when its `closes_at` passed). Never
        /// stored: a pending invitation of a closed round reads so.
        Expired,
    }
);
