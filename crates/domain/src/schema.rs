//! Table definitions, in types both backends share (see the stack notes): ids are `BigInt`,
//! instants are UTC `Timestamp`, lists are JSON in `Text`.

diesel::table! {
    /// Organisations that fund, host, run or teach in programmes, foreign and Vietnamese.
    partners (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        name_local -> Nullable<Text>,
        kind -> Text,
        country -> Text,
        website -> Nullable<Text>,
        notes -> Nullable<Text>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        source -> Nullable<Text>,
        seed_key -> Nullable<Text>,
        seed_data -> Nullable<Text>,
        sources -> Nullable<Text>,
    }
}

diesel::table! {
    /// Cooperation programmes.
    programs (id) {
        id -> BigInt,
        code -> Text,
        title -> Text,
        title_vi -> Nullable<Text>,
        kind -> Text,
        status -> Text,
        start_date -> Nullable<Date>,
        end_date -> Nullable<Date>,
        agreement_signed_on -> Nullable<Date>,
        planned_trainees -> Nullable<Integer>,
        planned_cohorts -> Nullable<Integer>,
        focus_areas -> Text,
        description -> Nullable<Text>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        source -> Nullable<Text>,
        seed_key -> Nullable<Text>,
        seed_data -> Nullable<Text>,
        start_precision -> Nullable<Text>,
        end_precision -> Nullable<Text>,
        agreement_precision -> Nullable<Text>,
        figures -> Text,
        course_length -> Nullable<Text>,
        sources -> Nullable<Text>,
        retention_months -> Nullable<Integer>,
    }
}

diesel::table! {
    /// The roles a partner holds in a programme.
    program_partners (id) {
        id -> BigInt,
        program_id -> BigInt,
        partner_id -> BigInt,
        roles -> Text,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        source -> Nullable<Text>,
        seed_key -> Nullable<Text>,
        seed_data -> Nullable<Text>,
        shares_trainee_contacts -> Bool,
        sources -> Nullable<Text>,
        reviews_nominations -> Bool,
    }
}

diesel::table! {
    /// Who changed what, when: written in the same transaction as the change.
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> BigInt,
        changes -> Text,
        request_id -> Nullable<Text>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Cohorts (classes) of a programme.
    cohorts (id) {
        id -> BigInt,
        program_id -> BigInt,
        code -> Text,
        name -> Text,
        sequence -> Nullable<Integer>,
        start_date -> Nullable<Date>,
        start_precision -> Nullable<Text>,
        end_date -> Nullable<Date>,
        end_precision -> Nullable<Text>,
        location_city -> Nullable<Text>,
        location_country -> Nullable<Text>,
        capacity -> Nullable<Integer>,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        source -> Nullable<Text>,
        seed_key -> Nullable<Text>,
        seed_data -> Nullable<Text>,
        sources -> Nullable<Text>,
    }
}

diesel::table! {
    /// Sessions (lectures, visits, seminars, ...) of a cohort.
    sessions (id) {
        id -> BigInt,
        cohort_id -> BigInt,
        title -> Text,
        kind -> Text,
        session_date -> Date,
        date_precision -> Text,
        starts_at -> Nullable<Timestamp>,
        ends_at -> Nullable<Timestamp>,
        time_zone -> Text,
        location -> Nullable<Text>,
        speaker_name -> Nullable<Text>,
        speaker_title -> Nullable<Text>,
        speaker_partner_id -> Nullable<BigInt>,
        language -> Nullable<Text>,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        speaker_affiliation -> Nullable<Text>,
        source -> Nullable<Text>,
        seed_key -> Nullable<Text>,
        seed_data -> Nullable<Text>,
        end_date -> Nullable<Date>,
        end_precision -> Nullable<Text>,
        sources -> Nullable<Text>,
    }
}

diesel::table! {
    /// Officials sent for training.
    trainees (id) {
        id -> BigInt,
        full_name -> Text,
        gender -> Nullable<Text>,
        birth_year -> Nullable<Integer>,
        position -> Nullable<Text>,
        organisation -> Nullable<Text>,
        province -> Nullable<Text>,
        email -> Nullable<Text>,
        email_key -> Nullable<Text>,
        phone -> Nullable<Text>,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        province_key -> Nullable<Text>,
        organisation_key -> Nullable<Text>,
        language -> Text,
        service_start_year -> Nullable<Integer>,
        position_level -> Nullable<Text>,
        erased_at -> Nullable<Timestamp>,
        erasure_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Recurring time-based work, one row per job, claimed by one app server at a time.
    jobs (name) {
        name -> Text,
        run_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        last_started_at -> Nullable<Timestamp>,
        last_finished_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        runs -> Integer,
    }
}

diesel::table! {
    /// What was reminded, so that each reminder goes once.
    reminders (kind, subject_id, stage) {
        kind -> Text,
        subject_id -> BigInt,
        stage -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The outbox: every message the service sends, written with the change that causes it.
    messages (id) {
        id -> BigInt,
        kind -> Text,
        state -> Text,
        language -> Text,
        recipient_role -> Text,
        recipient_name -> Text,
        recipient_email -> Nullable<Text>,
        subject -> Text,
        body -> Text,
        calendar -> Nullable<Text>,
        message_id -> Text,
        program_id -> Nullable<BigInt>,
        cohort_id -> Nullable<BigInt>,
        round_id -> Nullable<BigInt>,
        trainee_id -> Nullable<BigInt>,
        session_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    /// Search terms of trainees: each word as written (lower case) and folded.
    trainee_terms (trainee_id, term_exact) {
        trainee_id -> BigInt,
        term_exact -> Text,
        term_folded -> Text,
        full_name -> Text,
        in_name -> Bool,
        province_key -> Nullable<Text>,
    }
}

diesel::table! {
    /// Failed sign-ins per email typed and client address (see `auth::throttle`).
    sign_in_throttle (email_key, address) {
        email_key -> Text,
        address -> Text,
        failures -> Integer,
        blocked_until -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Work on existing rows done once after the migrations (see `upkeep`).
    upkeep (name) {
        name -> Text,
        done_at -> Timestamp,
    }
}

diesel::table! {
    /// A trainee's place in a cohort.
    enrollments (id) {
        id -> BigInt,
        cohort_id -> BigInt,
        trainee_id -> BigInt,
        status -> Text,
        waitlisted_at -> Nullable<Timestamp>,
        certificate_number -> Nullable<Text>,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        organisation -> Nullable<Text>,
        position -> Nullable<Text>,
        province -> Nullable<Text>,
        gender -> Nullable<Text>,
        birth_year -> Nullable<Integer>,
        cohort_year -> Nullable<Integer>,
        ended_at -> Nullable<Timestamp>,
        end_reason -> Nullable<Text>,
        partner_end_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// A seated trainee's private calendar feed, one per enrolment: the hash of its token and
    /// the nonce the token is made from.
    calendar_feeds (enrollment_id) {
        enrollment_id -> BigInt,
        token_hash -> Text,
        nonce -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Whether an enrolled trainee attended a session.
    attendance (session_id, enrollment_id) {
        session_id -> BigInt,
        enrollment_id -> BigInt,
        status -> Text,
        note -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    /// Each cohort's attendance marks by status, kept up to date by every save of a sheet.
    cohort_attendance (cohort_id) {
        cohort_id -> BigInt,
        present -> BigInt,
        late -> BigInt,
        absent -> BigInt,
        excused -> BigInt,
    }
}

diesel::table! {
    /// Results of POSTs sent with an `Idempotency-Key`, replayed to retries.
    idempotency_keys (user_id, idempotency_key) {
        user_id -> BigInt,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        location -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// People at partner organisations.
    contacts (id) {
        id -> BigInt,
        partner_id -> BigInt,
        full_name -> Text,
        name_order -> Text,
        name_native -> Nullable<Text>,
        title -> Nullable<Text>,
        title_vi -> Nullable<Text>,
        position -> Nullable<Text>,
        position_vi -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        notes -> Nullable<Text>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        source -> Nullable<Text>,
        seed_key -> Nullable<Text>,
        seed_data -> Nullable<Text>,
        sources -> Nullable<Text>,
    }
}

diesel::table! {
    /// A contact's part in a cohort or one of its sessions.
    participations (id) {
        id -> BigInt,
        contact_id -> BigInt,
        cohort_id -> BigInt,
        session_id -> Nullable<BigInt>,
        role -> Text,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        source -> Nullable<Text>,
        seed_key -> Nullable<Text>,
        seed_data -> Nullable<Text>,
        sources -> Nullable<Text>,
    }
}

diesel::table! {
    /// A trainee's consent to one purpose (see `trainees::consents`).
    consents (id) {
        id -> BigInt,
        trainee_id -> BigInt,
        purpose -> Text,
        partner_id -> Nullable<BigInt>,
        method -> Text,
        given_at -> Timestamp,
        recorded_by -> Nullable<BigInt>,
        note -> Nullable<Text>,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawn_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    /// One answer that gave a partner's liaison trainees' personal data: when, which account,
    /// which partner, what was read (see `disclosures`).
    disclosure_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        user_id -> BigInt,
        partner_id -> BigInt,
        what -> Text,
        day -> Date,
    }
}

diesel::table! {
    /// That a partner's liaisons were given a trainee's personal data on a day (UTC): once per
    /// trainee, partner and day; how a trainee's answers are found (see `disclosures`).
    disclosure_days (trainee_id, partner_id, day) {
        trainee_id -> BigInt,
        partner_id -> BigInt,
        day -> Date,
    }
}

diesel::table! {
    /// The trainees an answer to a partner's liaison gave, and which fields of each (see
    /// `disclosures`).
    disclosures (event_id, trainee_id) {
        event_id -> BigInt,
        trainee_id -> BigInt,
        fields -> Text,
    }
}

diesel::joinable!(disclosures -> disclosure_events (event_id));

diesel::joinable!(program_partners -> programs (program_id));
diesel::joinable!(contacts -> partners (partner_id));
diesel::joinable!(participations -> contacts (contact_id));
diesel::joinable!(participations -> cohorts (cohort_id));
diesel::joinable!(participations -> sessions (session_id));
diesel::joinable!(program_partners -> partners (partner_id));

diesel::table! {
    /// Accounts.
    users (id) {
        id -> BigInt,
        email -> Text,
        email_key -> Text,
        display_name -> Text,
        search_text -> Text,
        role -> Text,
        partner_id -> Nullable<BigInt>,
        active -> Bool,
        password_hash -> Text,
        password_changed_at -> Timestamp,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        daily_digest -> Bool,
    }
}

diesel::table! {
    /// Hashes of refresh tokens, in families that rotate together.
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Secrets the service generated for itself (the JWT signing key).
    app_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The hashes of personal links a newer link replaced.
    replaced_links (token_hash) {
        token_hash -> Text,
        replaced_at -> Timestamp,
    }
}

diesel::table! {
    /// Questionnaire revisions; a published one never changes.
    instruments (id) {
        id -> BigInt,
        code -> Text,
        revision -> Integer,
        title -> Text,
        title_vi -> Text,
        purpose -> Text,
        status -> Text,
        template -> Bool,
        items -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        equivalent_to -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Evaluation rounds of a cohort.
    evaluation_rounds (id) {
        id -> BigInt,
        cohort_id -> BigInt,
        instrument_id -> BigInt,
        title -> Text,
        subject -> Text,
        session_id -> Nullable<BigInt>,
        respondent -> Text,
        wave -> Text,
        anonymity -> Text,
        status -> Text,
        opens_at -> Nullable<Timestamp>,
        closes_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        pre_round_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Trainees asked to answer a round, with the hash of their link's token.
    invitations (id) {
        id -> BigInt,
        round_id -> BigInt,
        enrollment_id -> BigInt,
        token_hash -> Text,
        nonce -> Text,
        status -> Text,
        entered_by -> Nullable<BigInt>,
        issued_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        decline_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Answers to a round; anonymous ones name nobody.
    responses (id) {
        id -> BigInt,
        round_id -> BigInt,
        enrollment_id -> Nullable<BigInt>,
        answers -> Text,
        entered_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    /// A trainee's language certificates (issue 30).
    language_certificates (id) {
        id -> BigInt,
        trainee_id -> BigInt,
        language -> Text,
        test -> Text,
        score -> Double,
        taken_on -> Date,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    /// What a cohort asks of its nominees (issue 30).
    eligibility_criteria (cohort_id) {
        cohort_id -> BigInt,
        min_service_years -> Nullable<Integer>,
        max_age -> Nullable<Integer>,
        position_levels -> Text,
        language -> Nullable<Text>,
        language_test -> Nullable<Text>,
        min_language_score -> Nullable<Double>,
        nomination_deadline -> Nullable<Date>,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    /// What a trainee must meet to complete a cohort.
    completion_rules (cohort_id) {
        cohort_id -> BigInt,
        min_attendance_rate -> Nullable<Double>,
        required_rounds -> Text,
        min_assessment_mean -> Nullable<Double>,
        updated_at -> Timestamp,
        version -> Integer,
        min_post_test_score -> Nullable<Double>,
    }
}

diesel::table! {
    /// Certificates of completed enrolments.
    certificates (enrollment_id) {
        enrollment_id -> BigInt,
        number -> Text,
        code -> Text,
        issued_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
        version -> Integer,
    }
}

diesel::table! {
    /// Each enrolment's action plan.
    action_plans (id) {
        id -> BigInt,
        enrollment_id -> BigInt,
        title -> Nullable<Text>,
        problem -> Nullable<Text>,
        items -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        review_comments -> Nullable<Text>,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        link_hash -> Nullable<Text>,
        link_nonce -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        supervisor_name -> Nullable<Text>,
        supervisor_position -> Nullable<Text>,
        supervisor_email -> Nullable<Text>,
        link_issued_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Follow-up checkpoints of action plans.
    checkpoints (id) {
        id -> BigInt,
        plan_id -> BigInt,
        months -> Integer,
        due_on -> Date,
        status -> Text,
        progress -> Text,
        barriers -> Nullable<Text>,
        session_id -> Nullable<BigInt>,
        submitted_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        review_note -> Nullable<Text>,
        link_hash -> Nullable<Text>,
        link_nonce -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        supervisor_status -> Text,
    }
}

diesel::table! {
    /// Every link a checkpoint's supervisor was given: open (`issued`), answered (`used`) or
    /// `replaced` by a newer one.
    supervisor_links (id) {
        id -> BigInt,
        checkpoint_id -> BigInt,
        status -> Text,
        link_hash -> Text,
        link_nonce -> Nullable<Text>,
        confirmed -> Nullable<Bool>,
        comment -> Nullable<Text>,
        issued_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// A supervisor's rating of one item, in the answer (used link) it was given with.
    supervisor_ratings (link_id, item) {
        link_id -> BigInt,
        item -> Integer,
        rating -> Integer,
        comment -> Nullable<Text>,
    }
}

diesel::table! {
    /// A programme's follow-up schedule.
    follow_up_schedules (program_id) {
        program_id -> BigInt,
        months -> Text,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    /// Exchange rates: one `base_currency` buys `rate` (an exact decimal) `quote_currency` from `rate_date`.
    exchange_rates (id) {
        id -> BigInt,
        base_currency -> Text,
        quote_currency -> Text,
        rate_date -> Date,
        rate -> Text,
        source -> Text,
        note -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    /// Budget lines (`planned`) and expenses (`committed`, `paid`), in exact minor units.
    costs (id) {
        id -> BigInt,
        program_id -> BigInt,
        cohort_id -> Nullable<BigInt>,
        enrollment_id -> Nullable<BigInt>,
        status -> Text,
        category -> Text,
        payer_id -> Nullable<BigInt>,
        amount_minor -> BigInt,
        currency -> Text,
        entry_date -> Date,
        entry_year -> Integer,
        period_from -> Nullable<Date>,
        period_to -> Nullable<Date>,
        reference -> Nullable<Text>,
        note -> Nullable<Text>,
        rate_id -> Nullable<BigInt>,
        reporting_currency -> Text,
        reporting_minor -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        source -> Nullable<Text>,
        sources -> Nullable<Text>,
    }
}

diesel::table! {
    /// Costs summed by programme, cohort, payer, category and year (planned, committed and paid as
    /// columns), for the cost reports.
    cost_totals (program_id, cohort_key, payer_key, category, year) {
        program_id -> BigInt,
        cohort_key -> BigInt,
        payer_key -> BigInt,
        category -> Text,
        year -> Integer,
        planned -> BigInt,
        committed -> BigInt,
        paid -> BigInt,
        unconverted -> BigInt,
        entries -> BigInt,
    }
}

diesel::table! {
    /// The kept cost totals by programme, cohort and category alone (`cohort_cost_totals`).
    cohort_cost_totals (program_id, cohort_key, category) {
        program_id -> BigInt,
        cohort_key -> BigInt,
        category -> Text,
        planned -> BigInt,
        committed -> BigInt,
        paid -> BigInt,
        unconverted -> BigInt,
        entries -> BigInt,
    }
}

diesel::table! {
    /// The reporting currency the stored conversions are in (one row).
    cost_settings (id) {
        id -> Integer,
        reporting_currency -> Text,
    }
}

diesel::joinable!(users -> partners (partner_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(cohorts -> programs (program_id));
diesel::joinable!(sessions -> cohorts (cohort_id));
diesel::joinable!(sessions -> partners (speaker_partner_id));
diesel::joinable!(trainee_terms -> trainees (trainee_id));
diesel::joinable!(enrollments -> cohorts (cohort_id));
diesel::joinable!(enrollments -> trainees (trainee_id));
diesel::joinable!(language_certificates -> trainees (trainee_id));
diesel::joinable!(eligibility_criteria -> cohorts (cohort_id));
diesel::joinable!(attendance -> sessions (session_id));
diesel::joinable!(attendance -> enrollments (enrollment_id));
diesel::joinable!(calendar_feeds -> enrollments (enrollment_id));
diesel::joinable!(evaluation_rounds -> cohorts (cohort_id));
diesel::joinable!(evaluation_rounds -> instruments (instrument_id));
diesel::joinable!(invitations -> evaluation_rounds (round_id));
diesel::joinable!(invitations -> enrollments (enrollment_id));
diesel::joinable!(responses -> evaluation_rounds (round_id));
diesel::joinable!(certificates -> enrollments (enrollment_id));
diesel::joinable!(invitations -> users (entered_by));
diesel::joinable!(responses -> enrollments (enrollment_id));
diesel::joinable!(responses -> users (entered_by));
diesel::joinable!(action_plans -> enrollments (enrollment_id));
diesel::joinable!(checkpoints -> action_plans (plan_id));
diesel::joinable!(checkpoints -> sessions (session_id));
diesel::joinable!(supervisor_links -> checkpoints (checkpoint_id));
diesel::joinable!(supervisor_ratings -> supervisor_links (link_id));
diesel::joinable!(cohort_attendance -> cohorts (cohort_id));
diesel::joinable!(costs -> programs (program_id));
diesel::joinable!(costs -> cohorts (cohort_id));
diesel::joinable!(costs -> enrollments (enrollment_id));
diesel::joinable!(costs -> partners (payer_id));
diesel::joinable!(consents -> trainees (trainee_id));
diesel::joinable!(consents -> partners (partner_id));
diesel::allow_tables_to_appear_in_same_query!(
    language_certificates,
    eligibility_criteria,
    partners,
    programs,
    program_partners,
    audit_events,
    users,
    refresh_tokens,
    app_secrets,
    cohorts,
    sessions,
    trainees,
    trainee_terms,
    upkeep,
    sign_in_throttle,
    enrollments,
    calendar_feeds,
    attendance,
    idempotency_keys,
    instruments,
    evaluation_rounds,
    invitations,
    responses,
    completion_rules,
    certificates,
    action_plans,
    checkpoints,
    supervisor_links,
    supervisor_ratings,
    follow_up_schedules,
    cohort_attendance,
    contacts,
    participations,
    messages,
    jobs,
    reminders,
    exchange_rates,
    costs,
    cost_totals,
    cohort_cost_totals,
    cost_settings,
    consents,
    disclosures,
    disclosure_events,
    disclosure_days
);

// Grouped counts across a join, for reports: invitations by their round's cohort, checkpoints by
// their plan's enrolment.
diesel::allow_columns_to_appear_in_same_group_by_clause!(evaluation_rounds::cohort_id, invitations::status,);
diesel::allow_columns_to_appear_in_same_group_by_clause!(action_plans::enrollment_id, checkpoints::status,);
// The transfers report: per partner (of the answer) and set of fields (of each trainee).
diesel::allow_columns_to_appear_in_same_group_by_clause!(disclosure_events::partner_id, disclosures::fields,);
