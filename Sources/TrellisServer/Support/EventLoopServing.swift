import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Runs a task's jobs on one SwiftNIO event loop.
///
/// Given to `withTaskExecutorPreference`, it keeps a connection's request handling on the event
/// loop that reads and writes its socket, instead of the Swift concurrency pool: a request then
/// needs no thread switch to start or to send its response (see ``EventLoopServedChannel``).
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// A server child channel whose connection is served on the connection's own event loop.
///
/// Hummingbird handles each connection in a task on the global concurrency pool: every request
/// hops from the event loop that read it to a pool thread, and its response hops back. Under
/// `/v1/track` (one event a request) those hops were ~9% of the server's CPU in the kernel's
/// context switch. With the connection's task preferring its event loop, the handler, the
/// middlewares and the actors they call run there; what suspends on another thread (a store
/// write) comes back with one wake-up. Unstructured tasks (`Task { }`) still run on the pool.
///
/// Handlers must not block: a blocked handler holds up the other connections of its loop, as a
/// blocked pool thread held up other tasks before.
struct EventLoopServedChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value
    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        let executor = EventLoopTaskExecutor(value.channel.eventLoop)
        await withTaskExecutorPreference(executor) {
            await inner.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with each connection's requests handled on the connection's event loop.
    static func http1OnEventLoops() -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            EventLoopServedChannel(inner: HTTP1Channel(responder: responder))
        }
    }
}
