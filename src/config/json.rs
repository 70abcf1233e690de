//! A strict JSON (RFC 8259) reader that keeps the line and column of every value.
//!
//! `serde_json` reports a position for syntax errors but not for values, and the validator needs
//! both; this reader builds the same spanned tree as the YAML reader.

use super::tree::{Key, MAX_DEPTH, Node, Pos, SyntaxError, Value};

struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    pos: Pos,
}

impl Reader<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.pos.line += 1;
            self.pos.column = 1;
        } else {
            self.pos.column += 1;
        }
        Some(c)
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            pos: self.pos,
            message: format!("invalid JSON: {}", message.into()),
        }
    }

    fn found(&mut self) -> String {
        match self.peek() {
            None => "the end of the file".to_string(),
            Some(c) => format!("{c:?}"),
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

    fn expect_word(&mut self, word: &str) -> Result<(), SyntaxError> {
        for want in word.chars() {
            if self.peek() != Some(want) {
                let found = self.found();
                return Err(self.error(format!("expected {word:?}, found {found}")));
            }
            self.bump();
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        self.skip_ws();
        let pos = self.pos;
        let value = match self.peek() {
            Some('{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.error("nesting is too deep"));
                }
                self.bump();
                let mut entries = Vec::new();
                self.skip_ws();
                if self.peek() == Some('}') {
                    self.bump();
                } else {
                    loop {
                        self.skip_ws();
                        let key_pos = self.pos;
                        if self.peek() != Some('"') {
                            let found = self.found();
                            return Err(self.error(format!("expected a string key, found {found}")));
                        }
                        let name = self.string()?;
                        self.skip_ws();
                        if self.peek() != Some(':') {
                            let found = self.found();
                            return Err(self.error(format!("expected ':', found {found}")));
                        }
                        self.bump();
                        let item = self.value(depth + 1)?;
                        entries.push((Key { name, pos: key_pos }, item));
                        self.skip_ws();
                        match self.peek() {
                            Some(',') => {
                                self.bump();
                            }
                            Some('}') => {
                                self.bump();
                                break;
                            }
                            _ => {
                                let found = self.found();
                                return Err(
                                    self.error(format!("expected ',' or '}}', found {found}"))
                                );
                            }
                        }
                    }
                }
                Value::Map(entries)
            }
            Some('[') => {
                if depth >= MAX_DEPTH {
                    return Err(self.error("nesting is too deep"));
                }
                self.bump();
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(']') {
                    self.bump();
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.skip_ws();
                        match self.peek() {
                            Some(',') => {
                                self.bump();
                            }
                            Some(']') => {
                                self.bump();
                                break;
                            }
                            _ => {
                                let found = self.found();
                                return Err(
                                    self.error(format!("expected ',' or ']', found {found}"))
                                );
                            }
                        }
                    }
                }
                Value::Seq(items)
            }
            Some('"') => Value::Str(self.string()?),
            Some('t') => {
                self.expect_word("true")?;
                Value::Bool(true)
            }
            Some('f') => {
                self.expect_word("false")?;
                Value::Bool(false)
            }
            Some('n') => {
                self.expect_word("null")?;
                Value::Null
            }
            Some('-' | '0'..='9') => self.number()?,
            _ => {
                let found = self.found();
                return Err(self.error(format!("expected a value, found {found}")));
            }
        };
        Ok(Node { value, pos })
    }

    fn digits(&mut self, text: &mut String) -> usize {
        let mut n = 0;
        while let Some(c @ '0'..='9') = self.peek() {
            text.push(c);
            self.bump();
            n += 1;
        }
        n
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let mut text = String::new();
        if self.peek() == Some('-') {
            text.push('-');
            self.bump();
        }
        let int_start = text.len();
        if self.digits(&mut text) == 0 {
            return Err(self.error("expected a digit"));
        }
        if text
            .get(int_start..)
            .is_some_and(|d| d.len() > 1 && d.starts_with('0'))
        {
            return Err(self.error("leading zeros are not allowed in numbers"));
        }
        let mut integer = true;
        if self.peek() == Some('.') {
            integer = false;
            text.push('.');
            self.bump();
            if self.digits(&mut text) == 0 {
                return Err(self.error("expected a digit after '.'"));
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            integer = false;
            text.push('e');
            self.bump();
            if let Some(c @ ('+' | '-')) = self.peek() {
                text.push(c);
                self.bump();
            }
            if self.digits(&mut text) == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        if integer {
            if let Ok(v) = text.parse::<i128>() {
                return Ok(Value::Int(v));
            }
        }
        Ok(Value::Float(text.parse::<f64>().unwrap_or(f64::INFINITY)))
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let digit = self.peek().and_then(|c| c.to_digit(16));
            match digit {
                Some(d) => {
                    v = v * 16 + d;
                    self.bump();
                }
                None => return Err(self.error("expected 4 hex digits after \\u")),
            }
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.bump();
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some('"') => {
                    self.bump();
                    return Ok(out);
                }
                Some('\\') => {
                    self.bump();
                    let c = match self.bump() {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('/') => '/',
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('u') => {
                            let first = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&first) {
                                if self.bump() != Some('\\') || self.bump() != Some('u') {
                                    return Err(self.error("expected a low surrogate \\u escape"));
                                }
                                let second = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&second) {
                                    return Err(self.error("invalid low surrogate"));
                                }
                                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                            } else {
                                first
                            };
                            match char::from_u32(code) {
                                Some(c) => c,
                                None => return Err(self.error("invalid \\u escape")),
                            }
                        }
                        _ => return Err(self.error("invalid escape in string")),
                    };
                    out.push(c);
                }
                Some(c) if u32::from(c) < 0x20 => {
                    return Err(self.error("control character in string (escape it)"));
                }
                Some(c) => {
                    out.push(c);
                    self.bump();
                }
            }
        }
    }
}

/// Parses JSON text into a tree. `Ok(None)` for a file holding only white space.
pub(crate) fn parse_json(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut reader = Reader {
        chars: text.chars().peekable(),
        pos: Pos { line: 1, column: 1 },
    };
    reader.skip_ws();
    if reader.peek().is_none() {
        return Ok(None);
    }
    let node = reader.value(0)?;
    reader.skip_ws();
    if reader.peek().is_some() {
        let found = reader.found();
        return Err(reader.error(format!("expected the end of the file, found {found}")));
    }
    Ok(Some(node))
}
