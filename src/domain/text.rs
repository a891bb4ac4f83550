//! Text folding for search: Vietnamese without diacritics, in lower case, so that "ho tich"
//! finds "Hộ tịch" whether the input came NFC or NFD.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds text to its search key: decomposed (NFD), combining marks dropped, đ/Đ as d,
/// lower-cased, runs of white space collapsed to one space, trimmed.
pub fn fold(text: &str) -> String {
    let stripped: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::fold;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn folds_vietnamese() {
        let cases = [
            ("Hộ tịch", "ho tich"),
            ("ĐĂNG KÝ KHAI SINH", "dang ky khai sinh"),
            ("Cấp giấy phép  xây dựng", "cap giay phep xay dung"),
            ("Thủ tục hành chính", "thu tuc hanh chinh"),
            ("  Đất đai ", "dat dai"),
            ("1.001234", "1.001234"),
            ("Người ưu tú", "nguoi uu tu"),
        ];
        for (input, expected) in cases {
            assert_eq!(fold(input), expected, "{input:?}");
            let nfd: String = input.nfd().collect();
            assert_eq!(fold(&nfd), expected, "NFD {input:?}");
            let nfc: String = input.nfc().collect();
            assert_eq!(fold(&nfc), expected, "NFC {input:?}");
        }
    }
}
