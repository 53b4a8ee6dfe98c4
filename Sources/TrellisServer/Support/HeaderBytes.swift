/// Byte-level reading of HTTP header values, for headers read on every tracking request (Foundation's
/// string trimming and splitting cost a visible share of one there).
enum HeaderBytes {
    /// Without the optional whitespace (spaces and tabs, RFC 9110 §5.6.3) at either end.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    /// The credentials of an `Authorization` value in `scheme` (given in lowercase), trimmed; nil
    /// for another scheme. The scheme is matched in any case (RFC 9110 §11.1) and must be followed
    /// by whitespace.
    static func credentials(_ header: String, scheme: String) -> ArraySlice<UInt8>? {
        let bytes = Array(header.utf8)
        let scheme = Array(scheme.utf8)
        func lowered(_ byte: UInt8) -> UInt8 { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte }
        guard bytes.count > scheme.count, zip(bytes, scheme).allSatisfy({ lowered($0) == $1 }),
            bytes[scheme.count] == 0x20 || bytes[scheme.count] == 0x09
        else { return nil }
        return trimmed(bytes[scheme.count...])
    }
}
