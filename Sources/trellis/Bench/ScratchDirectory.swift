import Foundation

/// A fresh folder under the system's temporary directory for one benchmark run, removed after it.
enum ScratchDirectory {
    static func using<T>(_ name: String, _ body: (_ path: String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-bench-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await body(directory)
    }
}
