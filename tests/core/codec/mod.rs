//! The BGP codec: byte-exact vectors, bytes captured from BIRD 2 and gobgpd, every decode error's
//! NOTIFICATION and action, round-trip properties and a bounded fuzz run.

mod captured;
mod errors;
mod fuzz;
mod notification;
mod properties;
mod update_errors;
mod vectors;

use anycastd::bgp::codec::{DecodeContext, EncodeContext, Message};
use bytes::BytesMut;

/// Bytes from hex text; whitespace and `#` comments to the end of a line are ignored.
pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(|line| line.bytes())
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    assert!(digits.len() % 2 == 0, "odd number of hex digits");
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).expect("ascii");
            u8::from_str_radix(text, 16).unwrap_or_else(|_| panic!("bad hex {text:?}"))
        })
        .collect()
}

/// The encoding of `message` under `cx`.
pub fn encode(message: &Message, cx: EncodeContext) -> Vec<u8> {
    let mut out = BytesMut::new();
    message.encode(&cx, &mut out);
    assert_eq!(
        out.len(),
        message.encoded_len(&cx),
        "encoded_len disagrees with encode"
    );
    out.to_vec()
}

/// 4-octet AS contexts.
pub const AS4: (DecodeContext, EncodeContext) = (
    DecodeContext {
        four_octet_as: true,
    },
    EncodeContext {
        four_octet_as: true,
    },
);
/// 2-octet AS contexts.
pub const AS2: (DecodeContext, EncodeContext) = (
    DecodeContext {
        four_octet_as: false,
    },
    EncodeContext {
        four_octet_as: false,
    },
);

/// Asserts `decode(bytes) == message` and `encode(message) == bytes`.
pub fn assert_vector(text: &str, message: &Message, cx: (DecodeContext, EncodeContext)) {
    let bytes = hex(text);
    assert_eq!(
        Message::decode(&bytes, &cx.0).as_ref(),
        Ok(message),
        "decode"
    );
    assert_eq!(encode(message, cx.1), bytes, "encode");
}

/// `frame_len` of a whole buffer, `None` on an error.
pub fn frame_len_of(bytes: &[u8]) -> Option<usize> {
    anycastd::bgp::codec::frame_len(bytes).ok().flatten()
}
