import Foundation
import Testing
@testable import Fusion

/// The fusion's writer thread: jobs run in order, `waitUntilIdle` means done, `stop` runs what
/// is left and ends the thread, and no job (nor what it captured) is kept once it has run —
/// `Fuser.stream` relies on that for its non-escaping `emit`.
@Suite("Background worker")
struct BackgroundWorkerTests {
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [Int] = []
        func append(_ k: Int) { lock.withLock { items.append(k) } }
        var values: [Int] { lock.withLock { items } }
    }

    @Test("jobs run in submission order, off the calling thread")
    func order() {
        let worker = BackgroundWorker(name: "test")
        let log = Log()
        let caller = Thread.current
        for k in 0..<50 {
            worker.submit {
                if k % 7 == 0 { usleep(500) }
                #expect(Thread.current != caller)
                log.append(k)
            }
        }
        worker.waitUntilIdle()
        #expect(log.values == Array(0..<50))
        worker.stop()
    }

    @Test("stop runs the jobs still queued, then returns")
    func stopDrains() {
        let worker = BackgroundWorker(name: "test")
        let log = Log()
        for k in 0..<10 { worker.submit { usleep(200); log.append(k) } }
        worker.stop()
        #expect(log.values == Array(0..<10))
    }

    @Test("a job's captures are released once it has run")
    func capturesReleased() {
        final class Payload {}
        let worker = BackgroundWorker(name: "test")
        weak var weakPayload: Payload?
        do {
            let payload = Payload()
            weakPayload = payload
            worker.submit { _ = payload }
        }
        worker.waitUntilIdle()
        #expect(weakPayload == nil)
        worker.stop()
    }
}
