import Foundation

/// RFC 2047 encoded words, for non-ASCII text in headers (`Subject`, display names):
/// `=?UTF-8?B?...?=`, each word at most 75 characters and never splitting a character.
public enum EncodedWord {
    /// Whether the text can go into a header as it is (printable ASCII and spaces).
    public static func isPlain(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// The text as one or more encoded words separated by folding whitespace (CRLF SP), or as
    /// it is when it needs no encoding.
    public static func encode(_ text: String) -> String {
        guard !isPlain(text) else { return text }
        let prefix = "=?UTF-8?B?"
        let suffix = "?="
        // 75 characters a word: 12 for the markers leave 63 for base64, i.e. 45 bytes of text.
        let maximumBytes = 45
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > maximumBytes, !chunk.isEmpty {
                words.append(prefix + Base64.encode(chunk) + suffix)
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(prefix + Base64.encode(chunk) + suffix) }
        return words.joined(separator: "\r\n ")
    }
}

/// Base64 (RFC 4648) without line breaks, as MIME, DKIM and SMTP AUTH want it (Foundation's coder).
public enum Base64 {
    public static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// Decodes base64, ignoring white space and line breaks; nil if it is not base64.
    public static func decode(_ text: String) -> [UInt8]? {
        let compact = text.filter { !$0.isWhitespace }
        return Data(base64Encoded: compact).map { Array($0) }
    }
}
