-- A search's best rank holds trainees with every word in their name: its walk reads only the terms
-- of names, in name order, instead of stepping over every trainee whose organisation or position
-- has the word too ("nguy" and the many "Sở Tài nguyên và Môi trường"), which made a common
-- word's first page grow with the table.
CREATE INDEX trainee_terms_name_postings ON trainee_terms (term_folded, term_exact, in_name, full_name, trainee_id);
