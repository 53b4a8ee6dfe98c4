import CZlib
import TrellisCore

/// gzip (and zlib) inflation with a hard cap on the inflated size, so a small "gzip bomb" cannot
/// make the server allocate gigabytes: inflation stops the moment the cap is passed.
enum Gzip {
    static func inflate(_ input: [UInt8], limit: Int) throws(InputError) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw InputError(code: "invalid_gzip", message: "could not start gzip decoding")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(input.count * 4, 4096)))
        let chunkSize = 64 * 1024
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var status: Int32 = Z_OK
        var input = input
        let failure: InputError? = input.withUnsafeMutableBufferPointer { inputBuffer -> InputError? in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = UInt32(inputBuffer.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = UInt32(chunkSize)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return chunkSize - Int(stream.avail_out)
                }
                if status != Z_OK && status != Z_STREAM_END && !(status == Z_BUF_ERROR && produced > 0) {
                    return InputError(code: "invalid_gzip", message: "the body is not valid gzip (Content-Encoding: gzip was sent)")
                }
                if output.count + produced > limit {
                    return InputError(.tooLarge, code: "payload_too_large", message: "the body inflates to more than \(limit / 1024) KB; the limit is \(limit / 1024) KB")
                }
                output.append(contentsOf: chunk[0..<produced])
                if produced == 0 && status != Z_STREAM_END && stream.avail_in == 0 {
                    return InputError(code: "invalid_gzip", message: "the gzip body is truncated")
                }
            } while status != Z_STREAM_END
            return nil
        }
        if let failure { throw failure }
        return output
    }
}
