import Crypto
import CryptoExtras
import Foundation

/// Console passwords, hashed with scrypt (N = 2^15, r = 8, p = 1, a random 16-byte salt), kept as
/// `scrypt$N$r$p$salt$hash`. Checking compares in constant time.
public enum Passwords {
    static let cost = 1 << 15

    public static func hash(_ password: String) throws -> String {
        var random = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: cost, blockSize: 8, parallelism: 1)
        let hash = key.withUnsafeBytes { Data($0).base64EncodedString() }
        return "scrypt$\(cost)$8$1$\(Data(salt).base64EncodedString())$\(hash)"
    }

    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let n = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
            let salt = Data(base64Encoded: parts[4]), let expected = Data(base64Encoded: parts[5]),
            let key = try? KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: expected.count, rounds: n, blockSize: r, parallelism: p)
        else { return false }
        // HMAC comparison is constant-time: compare the MACs of both under a random key.
        let probe = SymmetricKey(size: .bits256)
        let candidate = key.withUnsafeBytes { HMAC<SHA256>.authenticationCode(for: Data($0), using: probe) }
        return HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: expected, using: probe)
    }

    /// A password rule people can follow: at least 12 characters.
    public static func problem(_ password: String) -> String? {
        password.count < 12 ? "a password needs at least 12 characters" : nil
    }
}
