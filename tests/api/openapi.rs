//! `api-spec/openapi.json` must be exactly what the code generates.

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/api-spec/openapi.json");

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = tpms::app::docs::document_json();
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
    let doc: serde_json::Value = serde_json::from_str(&tpms::app::docs::document_json()).expect("valid JSON");
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

#[test]
fn every_reference_in_the_document_names_a_schema_it_holds() {
    fn references<'v>(value: &'v serde_json::Value, found: &mut Vec<&'v str>) {
        match value {
            serde_json::Value::Object(fields) => {
                if let Some(target) = fields.get("$ref").and_then(|r| r.as_str()) {
                    found.push(target);
                }
                fields.values().for_each(|v| references(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }
    let doc: serde_json::Value = serde_json::from_str(&tpms::app::docs::document_json()).expect("valid JSON");
    let mut found = Vec::new();
    references(&doc, &mut found);
    assert!(found.len() > 100, "only {} references found", found.len());
    for target in found {
        let name = target.strip_prefix("#/components/schemas/").unwrap_or(target);
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{target} is not in the document"
        );
    }
}

/// The schema a response's JSON body names, resolved, if any.
fn body_schema<'d>(doc: &'d serde_json::Value, response: &'d serde_json::Value) -> Option<&'d serde_json::Value> {
    let reference = response["content"]["application/json"]["schema"]["$ref"].as_str()?;
    doc.pointer(&reference.replacen('#', "", 1))
}

#[test]
fn every_write_that_answers_a_versioned_record_gives_its_etag_and_takes_if_match() {
    let doc: serde_json::Value = serde_json::from_str(&tpms::app::docs::document_json()).expect("valid JSON");
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            if !matches!(method.as_str(), "post" | "put" | "patch") {
                continue;
            }
            let responses = operation["responses"].as_object().expect("responses");
            for (status, response) in responses.iter().filter(|(status, _)| status.starts_with('2')) {
                let versioned = body_schema(&doc, response).is_some_and(|s| s["properties"]["version"].is_object());
                if !versioned {
                    continue;
                }
                checked += 1;
                assert!(
                    response["headers"]["ETag"].is_object(),
                    "{method} {path} answers {status} with a versioned record but documents no ETag"
                );
                let takes_if_match = operation["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["in"] == "header" && p["name"] == "If-Match"));
                assert!(
                    status == "201" || takes_if_match,
                    "{method} {path} changes a versioned record but takes no If-Match"
                );
            }
        }
    }
    assert!(
        checked > 30,
        "only {checked} writes answer a versioned record: is the document read right?"
    );
}
