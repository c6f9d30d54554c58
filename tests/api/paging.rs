//! Paging, the same for every list: each page's `Link: rel="next"` carries a cursor to the next,
//! following the links visits every item once in the list's order, `offset` stops where a cursor
//! should take over, and totals past a thousand say they are a lower bound.

use serde_json::Value;

use crate::db_test;
use crate::import::{import, spreadsheet_csv};
use crate::support::urlencode;

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|item| item["id"].as_i64().expect("an id")).collect()
}

db_test!(
    async fn following_the_links_visits_every_trainee_once_in_the_order_of_one_long_page(app) {
        // Equal names, so that the id has to break ties across page boundaries.
        for name in ["Lê Văn Bình", "Trần Thị Hoa", "Lê Văn Bình", "Đỗ Minh", "Lê Văn Bình", "Phạm An", "Trần Thị Hoa"] {
            app.trainee().full_name(name).create().await;
        }
        for sort in ["full_name", "-full_name", "created_at", "-created_at"] {
            let whole = app.get(&format!("/api/v1/trainees?sort={sort}&limit=200")).await.json();
            let (paged, pages) = app.every_page(&format!("/api/v1/trainees?sort={sort}&limit=2")).await;
            assert_eq!(ids(&paged), ids(whole["items"].as_array().expect("items")), "sort={sort}");
            assert_eq!(pages.len(), 4, "seven trainees make four pages of two");
            let offsets: Vec<&Value> = pages.iter().map(|page| &page["offset"]).collect();
            assert_eq!(offsets, [0, 2, 4, 6], "each page says where it starts");
            assert!(pages.iter().all(|page| page["total"] == 7 && page["total_exact"] == true));
            assert!(pages[3].get("next_cursor").is_none(), "the last page has no cursor");
        }
    }
);

db_test!(
    async fn a_search_pages_through_its_best_matches_first_then_by_name(app) {
        for name in ["Vũ Tuần", "Lê Tuấn", "Hồ Tuân", "Ngô Tuấn Anh", "Mai Tuấn", "Tạ Tuần"] {
            app.trainee().full_name(name).create().await;
        }
        let path = format!("/api/v1/trainees?q={}&limit=1", urlencode("tuấn"));
        let (paged, _) = app.every_page(&path).await;
        let names: Vec<&str> = paged.iter().filter_map(|t| t["full_name"].as_str()).collect();
        assert_eq!(names, ["Lê Tuấn", "Mai Tuấn", "Ngô Tuấn Anh", "Hồ Tuân", "Tạ Tuần", "Vũ Tuần"]);
    }
);

db_test!(
    async fn programmes_without_a_start_date_come_last_on_every_page_in_both_directions(app) {
        for (code, start) in [("P1", Some("2023-04-01")), ("P2", None), ("P3", Some("2021-09")), ("P4", None), ("P5", Some("2023-04-01"))] {
            let program = app.program().code(code);
            match start {
                Some(start) => program.start_date(start).create().await,
                None => program.create().await,
            };
        }
        for (sort, expected) in [
            ("start_date", ["P3", "P1", "P5", "P2", "P4"]),
            ("-start_date", ["P5", "P1", "P3", "P4", "P2"]),
        ] {
            let (paged, _) = app.every_page(&format!("/api/v1/programs?sort={sort}&limit=1")).await;
            let codes: Vec<&str> = paged.iter().filter_map(|p| p["code"].as_str()).collect();
            assert_eq!(codes, expected, "sort={sort}");
        }
    }
);

db_test!(
    async fn a_cursor_is_refused_when_forged_mixed_with_offset_or_used_for_another_order(app) {
        for code in ["AA", "BB", "CC"] {
            app.partner().code(code).create().await;
        }
        let first = app.get("/api/v1/partners?sort=code&limit=1").await.json();
        let cursor = first["next_cursor"].as_str().expect("a cursor while more remain").to_owned();

        let second = app.get(&format!("/api/v1/partners?sort=code&limit=1&cursor={cursor}")).await;
        assert_eq!(second.json()["items"][0]["code"], "BB");

        let other_order = app.get(&format!("/api/v1/partners?sort=name&limit=1&cursor={cursor}")).await;
        let problem = other_order.assert_problem(400, "invalid_query");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("another order")), "{problem}");

        let with_offset = app.get(&format!("/api/v1/partners?sort=code&offset=1&cursor={cursor}")).await;
        with_offset.assert_problem(400, "invalid_query");

        for forged in ["not-a-cursor", "eyJvIjoiY29kZSJ9", &cursor[..cursor.len() / 2]] {
            let response = app.get(&format!("/api/v1/partners?sort=code&cursor={forged}")).await;
            let problem = response.assert_problem(400, "invalid_query");
            assert!(problem["detail"].as_str().is_some_and(|d| d.contains("next_cursor")), "{forged}: {problem}");
        }
    }
);

db_test!(
    async fn offset_stops_at_ten_thousand_and_says_to_follow_the_cursor(app) {
        assert_eq!(app.get("/api/v1/trainees?offset=10000").await.status, 200);
        let problem = app.get("/api/v1/trainees?offset=10001").await.assert_problem(400, "invalid_query");
        let detail = problem["detail"].as_str().expect("a detail");
        assert!(detail.contains("10000") && detail.contains("cursor"), "{detail}");
    }
);

db_test!(
    async fn totals_are_exact_to_a_thousand_and_past_it_say_how_many_there_are_at_least(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let imported = import(&app, &cohort, "", &spreadsheet_csv(1_001)).await;
        assert_eq!(imported.status, 200, "{}", imported.text());

        let all = app.get("/api/v1/trainees?limit=10").await.json();
        assert_eq!((&all["total"], &all["total_exact"]), (&Value::from(1_001), &Value::from(false)));

        let deep = app.get("/api/v1/trainees?limit=10&offset=1000").await.json();
        assert_eq!(deep["items"].as_array().map(Vec::len), Some(1), "the 1,001st trainee is there");
        assert_eq!(deep["total"], 1_001, "a page that reached the end knows the total");
        assert_eq!(deep["total_exact"], true);

        // Every sixth trainee is a Nguyễn: 167 of them, counted exactly.
        let some = app.get(&format!("/api/v1/trainees?q={}&limit=10", urlencode("nguyễn"))).await.json();
        assert_eq!((&some["total"], &some["total_exact"]), (&Value::from(167), &Value::from(true)));
    }
);

db_test!(
    async fn a_search_matching_thousands_pages_them_by_rank_then_in_the_order_of_the_whole_list(app) {
        // More stored terms start with "tuan" than a search ranks at once, so the pages come a rank
        // at a time, each read in the list's order.
        let mut csv = String::from("full_name,province,organisation\r\n");
        for i in 0..2_100 {
            let name = if i % 2 == 0 { "Tuấn" } else { "Tuần" };
            let province = if i % 3 == 0 { "Huế" } else { "Hà Nội" };
            csv.push_str(&format!("Lê {name} {i},{province},\r\n"));
        }
        // The word in the organisation only: after every match in the name, whatever the spelling.
        for i in 0..3 {
            csv.push_str(&format!("Lê Hoa {i},Huế,Công ty Tuấn Phát\r\n"));
        }
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let imported = import(&app, &cohort, "", &csv).await;
        assert_eq!(imported.status, 200, "{}", imported.text());

        for sort in ["full_name", "-full_name", "created_at", "-created_at"] {
            let (everyone, _) = app.every_page(&format!("/api/v1/trainees?sort={sort}&limit=200")).await;
            let in_list_order = |accented: &str| -> Vec<i64> {
                let named = everyone.iter().filter(|t| t["full_name"].as_str().is_some_and(|n| n.contains(accented)));
                ids(&named.cloned().collect::<Vec<_>>())
            };
            let expected: Vec<i64> = [in_list_order("Tuấn"), in_list_order("Tuần"), in_list_order("Hoa")].concat();
            assert_eq!(expected.len(), 2_103);
            for q in ["tuấn", "lê tuấn"] {
                let search = format!("/api/v1/trainees?q={}&sort={sort}", urlencode(q));
                let (paged, pages) = app.every_page(&format!("{search}&limit=200")).await;
                assert_eq!(ids(&paged), expected, "q={q}&sort={sort}: the exact spellings in the name first, then the others, then the organisation's, each rank in the list's order");
                assert_eq!(pages[0]["total_exact"], false, "q={q}&sort={sort}");
                assert!(pages[0]["total"].as_i64().is_some_and(|total| total > 1_000), "q={q}&sort={sort}");
            }
        }
        // A filter that an index in name order answers is walked with the words.
        let (in_hanoi, _) = app.every_page(&format!("/api/v1/trainees?province={}&limit=200", urlencode("Hà Nội"))).await;
        let hanoi_ids = ids(&in_hanoi);
        let search = format!("/api/v1/trainees?q={}&sort=full_name", urlencode("tuấn"));
        let (everyone, _) = app.every_page(&format!("{search}&limit=200")).await;
        let (hanoi, _) = app.every_page(&format!("{search}&province={}&limit=90", urlencode("Hà Nội"))).await;
        let expected_in_hanoi: Vec<i64> = ids(&everyone).into_iter().filter(|id| hanoi_ids.contains(id)).collect();
        assert_eq!(ids(&hanoi), expected_in_hanoi);
        assert_eq!(expected_in_hanoi.len(), 1_400);
        let expected = ids(&everyone);
        // An offset that straddles the ranks finds the same rows.
        let straddling = app.get(&format!("{search}&limit=20&offset=1040")).await.json();
        let items = straddling["items"].as_array().expect("items");
        assert_eq!(ids(items), expected[1_040..1_060]);
    }
);
