//! Several files in one ZIP archive (a person's data as CSV files with a README), written with the
//! `zip` crate that also reads workbooks ([`super::sheet`]).

use std::io::{Cursor, Write};

use ::zip::write::SimpleFileOptions;

use crate::error::ApiError;

/// The media type of a ZIP archive.
pub const MEDIA_TYPE: &str = "application/zip";

/// A ZIP archive of `files` (name, contents), compressed with deflate, in the order given.
pub fn archive(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, ApiError> {
    let mut writer = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(::zip::CompressionMethod::Deflated);
    for (name, contents) in files {
        writer.start_file(name.as_str(), options).map_err(ApiError::internal)?;
        writer.write_all(contents).map_err(ApiError::internal)?;
    }
    let cursor = writer.finish().map_err(ApiError::internal)?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_reads_back_with_its_files_in_order() {
        let files = vec![
            ("README.txt".to_owned(), b"read me".to_vec()),
            ("a.csv".to_owned(), "tên\nHà Nội\n".as_bytes().to_vec()),
        ];
        let bytes = archive(&files).expect("an archive");
        let mut read = ::zip::ZipArchive::new(Cursor::new(bytes)).expect("readable");
        assert_eq!(read.len(), 2);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut read.by_index(1).expect("second file"), &mut text).expect("utf-8");
        assert_eq!(text, "tên\nHà Nội\n");
        assert_eq!(read.by_index(0).expect("first").name().expect("a name"), "README.txt");
    }
}
