import Foundation
import Testing
@testable import Fusion

/// The gate that keeps the background writer out of the cost products: a waiter passes an open
/// gate at once, and one that arrives while the gate is closed passes only after the closed
/// section has ended.
@Suite struct PhaseGateTests {
    /// Events in the order they happened, from any thread.
    final class EventLog: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [String] = []
        func record(_ event: String) { lock.withLock { events.append(event) } }
        var all: [String] { lock.withLock { events } }
    }

    @Test func waiterPassesOnlyOutsideTheClosedSection() {
        let gate = PhaseGate()
        gate.waitUntilOpen()  // open: returns at once
        let log = EventLog()
        let waiterStarted = DispatchSemaphore(value: 0), waiterDone = DispatchSemaphore(value: 0)
        let value = gate.whileClosed { () -> Int in
            Thread.detachNewThread {
                waiterStarted.signal()
                gate.waitUntilOpen()
                log.record("waiter passed")
                waiterDone.signal()
            }
            waiterStarted.wait()
            Thread.sleep(forTimeInterval: 0.05)
            log.record("closed section ended")
            return 7
        }
        waiterDone.wait()
        #expect(value == 7)
        #expect(log.all == ["closed section ended", "waiter passed"])
    }
}
