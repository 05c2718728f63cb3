//! Keeping personal data out of logs.

/// Masks a phone number or user id for logs: `16505551234` → `1650***34`.
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 6 {
        return "***".into();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}***{tail}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_all_but_the_ends() {
        assert_eq!(super::mask("16505551234"), "1650***34");
        assert_eq!(super::mask("12345"), "***");
    }
}
