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
}
