import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import NIOCore
import NIOPosix
import Testing

@testable import TrellisServer

@Suite struct EventLoopServingTests {
    /// Answers where its handler ran, before and after a suspension: "event loop" or "pool".
    static func application(server: HTTPServerBuilder) -> some ApplicationProtocol {
        let router = Router()
        router.get("where") { _, _ -> String in
            let before = MultiThreadedEventLoopGroup.currentEventLoop != nil
            try await Task.sleep(for: .milliseconds(1))
            let after = MultiThreadedEventLoopGroup.currentEventLoop != nil
            return [before, after].map { $0 ? "event loop" : "pool" }.joined(separator: ", ")
        }
        return Application(router: router, server: server)
    }

    @Test func aConnectionsRequestsAreHandledOnItsEventLoop() async throws {
        try await Self.application(server: .http1OnEventLoops()).test(.live) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/where", method: .get) { response in
                    #expect(String(buffer: response.body) == "event loop, event loop")
                }
            }
        }
        // Hummingbird's own HTTP/1.1 server handles them on the concurrency pool: what this changes.
        try await Self.application(server: .http1()).test(.live) { client in
            try await client.execute(uri: "/where", method: .get) { response in
                #expect(String(buffer: response.body) == "pool, pool")
            }
        }
    }

    @Test func theExecutorRunsJobsOnItsLoop() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let ran = await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
            await Task.yield()
            return loop.inEventLoop
        }
        #expect(ran)
    }
}
