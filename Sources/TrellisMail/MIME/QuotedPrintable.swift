/// Quoted-printable (RFC 2045 §6.7) for text bodies: readable when mostly ASCII, lines of at most
/// 76 characters with soft breaks (`=` at the end), CRLF line ends, trailing spaces protected.
public enum QuotedPrintable {
    public static func encode(_ text: String) -> String {
        var lines: [String] = []
        // Normalise line ends first: each source line is encoded on its own.
        let normalised = text.replacingLineEnds()
        for sourceLine in normalised.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(sourceLine.utf8)
            var line = ""
            var tokens: [String] = []
            for (position, byte) in bytes.enumerated() {
                let isLast = position == bytes.count - 1
                let plain = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !isLast)
                tokens.append(plain ? String(UnicodeScalar(byte)) : "=" + hex(byte))
            }
            for token in tokens {
                if line.utf8.count + token.utf8.count > 75 {
                    lines.append(line + "=")
                    line = ""
                }
                line += token
            }
            lines.append(line)
        }
        return lines.joined(separator: "\r\n")
    }

    /// Decodes a quoted-printable body (soft line breaks removed, `=XX` escapes resolved).
    public static func decode(_ text: String) -> String {
        var bytes: [UInt8] = []
        let source = Array(text.utf8)
        var index = 0
        while index < source.count {
            let byte = source[index]
            guard byte == UInt8(ascii: "=") else {
                bytes.append(byte)
                index += 1
                continue
            }
            if index + 1 < source.count, source[index + 1] == UInt8(ascii: "\n") {
                index += 2
            } else if index + 2 < source.count, source[index + 1] == UInt8(ascii: "\r"), source[index + 2] == UInt8(ascii: "\n") {
                index += 3
            } else if index + 2 < source.count, let value = UInt8(String(decoding: source[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}

extension String {
    /// CRLF and lone CR become LF.
    func replacingLineEnds() -> String {
        var result = ""
        result.reserveCapacity(utf8.count)
        var previousWasCR = false
        for scalar in unicodeScalars {
            if scalar == "\r" {
                result.append("\n")
                previousWasCR = true
                continue
            }
            if scalar == "\n", previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            result.unicodeScalars.append(scalar)
        }
        return result
    }
}
