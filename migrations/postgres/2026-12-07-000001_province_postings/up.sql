-- A search with a province (`?q=nguy&province=Hà Nội`) walked a word's trainees across every
-- province, joining each entry to its trainee to drop the other provinces: at 1,000,000 trainees
-- one province in twelve made a page read twelve entries for each it kept, and its total counted
-- only the first thousand entries of the word (53 where 20,863 matched). Each term now carries its
-- trainee's folded province, and an index that leads with it reads one province's entries of a
-- spelling in name order, for a page and for the total alike.
ALTER TABLE trainee_terms ADD COLUMN province_key TEXT;
UPDATE trainee_terms SET province_key = trainees.province_key
    FROM trainees WHERE trainees.id = trainee_terms.trainee_id AND trainees.province_key IS NOT NULL;
CREATE INDEX trainee_terms_province_postings ON trainee_terms (province_key, term_folded, term_exact, in_name, full_name, trainee_id);
