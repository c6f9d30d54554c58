//! `api-spec/openapi.json` must be exactly what the code generates.

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/api-spec/openapi.json");

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = tpms::openapi::document_json();
    if std::env::var("TPMS_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(COMMITTED, &generated).expect("api-spec/openapi.json is writable");
        return;
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "api-spec/openapi.json differs from what the code generates. Regenerate it with:\n\n    \
         TPMS_UPDATE_OPENAPI=1 cargo test --test api openapi\n\nand commit the result."
    );
}

#[test]
fn every_operation_documents_its_errors_as_problem_json() {
    let doc: serde_json::Value = serde_json::from_str(&tpms::openapi::document_json()).expect("valid JSON");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            let responses = operation["responses"].as_object().expect("responses");
            let errors: Vec<_> = responses
                .iter()
                .filter(|(status, _)| status.starts_with('4') || status.starts_with('5'))
                .collect();
            if path.starts_with("/api/v1") {
                assert!(!errors.is_empty(), "{method} {path} documents no error");
            }
            for (status, response) in errors {
                assert!(
                    response["content"]["application/problem+json"].is_object(),
                    "{method} {path} {status} is not problem+json"
                );
            }
        }
    }
}
