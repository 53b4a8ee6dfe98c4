import Crypto
import TrellisCore

/// Makes and checks API keys: 32 random bytes shown once, stored as their SHA-256.
public enum APIKeys {
    /// A new key: `trk_` and 43 characters of base64url (32 bytes from the system's CSPRNG).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "trk_" + base64URL(bytes)
    }

    public static func hash(_ key: String) -> String {
        Hex.lowercase(SHA256.hash(data: Array(key.utf8)))
    }

    /// Creates and stores a key; returns the secret, which is not kept anywhere.
    public static func create(in store: any ContactStore, name: String, role: Role, source: String = "default", at: Timestamp) async throws -> (key: String, record: APIKeyRecord) {
        let key = generate()
        let record = APIKeyRecord(
            id: "key_" + String(hash(key).prefix(12)), name: name, role: role, hash: hash(key), prefix: String(key.prefix(10)), source: source, createdAt: at)
        try await store.createAPIKey(record)
        return (key, record)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var output = ""
        var index = 0
        while index + 2 < bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { output.append(alphabet[Int(value >> UInt32(shift) & 63)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            var value = UInt32(bytes[index]) << 16
            if rest == 2 { value |= UInt32(bytes[index + 1]) << 8 }
            let characters = rest == 1 ? 2 : 3
            for shift in [18, 12, 6].prefix(characters) { output.append(alphabet[Int(value >> UInt32(shift) & 63)]) }
        }
        return output
    }
}
