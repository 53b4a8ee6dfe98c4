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

/// Base64 (RFC 4648) without line breaks; `lines` wraps at 76 characters for MIME bodies.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)], alphabet[Int(value & 63)]]
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            output += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)]]
            output += rest == 2 ? [alphabet[Int(value >> 6 & 63)], UInt8(ascii: "=")] : [UInt8(ascii: "="), UInt8(ascii: "=")]
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Base64 in lines of 76 characters joined by CRLF, as MIME bodies want it.
    public static func lines(_ bytes: [UInt8]) -> String {
        let text = Array(encode(bytes).utf8)
        return stride(from: 0, to: text.count, by: 76).map { String(decoding: text[$0..<min($0 + 76, text.count)], as: UTF8.self) }.joined(separator: "\r\n")
    }
}
