//! Tests of the BFD core: Control packet vectors and reception checks (`packet`), the session
//! machine against a golden table (`table`) and in scenarios (`session`), and a bounded fuzz run.

mod fuzz;
mod packet;
mod session;
mod table;

/// Bytes from a hex string that may contain spaces and newlines.
pub(super) fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .map(|c| char::from(c).to_digit(16).unwrap() as u8)
        .collect();
    digits
        .chunks(2)
        .map(|pair| pair[0] << 4 | pair[1])
        .collect()
}
