/// Quoted-printable (RFC 2045 §6.7) for text bodies: readable when mostly ASCII, lines of at most
/// 76 characters with soft breaks (`=` at the end), CRLF line ends, trailing spaces protected.
public enum QuotedPrintable {
    public static func encode(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        var lineLength = 0
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var utf8 = text.utf8.makeIterator()
        var pending = utf8.next()
        while let byte = pending {
            pending = utf8.next()
            // Line ends (CRLF, CR or LF) become CRLF; each source line is encoded on its own.
            if byte == 13 || byte == 10 {
                if byte == 13, pending == 10 { pending = utf8.next() }
                output.append(13)
                output.append(10)
                lineLength = 0
                continue
            }
            let endsLine = pending == nil || pending == 13 || pending == 10
            let plain = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !endsLine)
            let width = plain ? 1 : 3
            if lineLength + width > 75 {
                output.append(UInt8(ascii: "="))
                output.append(13)
                output.append(10)
                lineLength = 0
            }
            if plain {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "="))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
            lineLength += width
        }
        return String(decoding: output, as: UTF8.self)
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
        guard utf8.contains(13) else { return self }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count)
        var previousWasCR = false
        for byte in utf8 {
            if byte == 13 {
                output.append(10)
                previousWasCR = true
                continue
            }
            if byte == 10, previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            output.append(byte)
        }
        return String(decoding: output, as: UTF8.self)
    }
}
