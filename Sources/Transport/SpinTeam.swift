import CBLAS
import Foundation

/// A fixed team of threads for the many short parallel steps of one Sinkhorn solve (a pass over
/// the kernel takes 0.1–1 ms; waking sleeping threads through Dispatch or a futex costs about
/// 20 µs per step on a 2-core VM, a fifth of the smaller passes).
///
/// `size − 1` worker threads are started by `init` and stopped by `deinit`; ``run(_:)`` hands
/// one step to every member (the caller is member 0) and returns when all have finished it.
/// Waiting members spin with the CPU's pause hint, then yield their core (see `shim.h`), so the
/// team never blocks a loaded machine for long. Only one thread may call ``run(_:)`` at a time.
final class SpinTeam: @unchecked Sendable {
    typealias Step = @Sendable (Int) -> Void

    /// Members, the caller included (`>= 1`).
    let size: Int
    /// `[0]` generation (incremented to publish a step or the stop), `[1]` workers done with the
    /// current step, `[2]` stop flag.
    private let words: UnsafeMutablePointer<Int>
    /// The current step; set before the generation is published, cleared after all are done.
    private let step: UnsafeMutablePointer<Step?>
    private let exited = DispatchSemaphore(value: 0)

    init(size: Int) {
        precondition(size >= 1, "a team has at least one member")
        self.size = size
        words = .allocate(capacity: 3)
        words.initialize(repeating: 0, count: 3)
        step = .allocate(capacity: 1)
        step.initialize(to: nil)
        let words = UncheckedPointer(words), step = UncheckedPointer(step), exited = self.exited
        for member in 1..<Swift.max(size, 1) {
            let thread = Thread {
                Self.work(member: member, words: words.pointer, step: step.pointer)
                exited.signal()
            }
            thread.start()
        }
    }

    deinit {
        transfuse_atomic_store(words + 2, 1)
        _ = transfuse_atomic_add(words, 1)
        for _ in 1..<Swift.max(size, 1) { exited.wait() }
        words.deallocate()
        step.deinitialize(count: 1)
        step.deallocate()
    }

    /// Runs `body(member)` for every member `0..<size` concurrently (member 0 on the calling
    /// thread) and returns when all calls have returned. Callers guarantee that members write
    /// disjoint memory.
    func run(_ body: (Int) -> Void) {
        if size == 1 { body(0); return }
        withoutActuallyEscaping(body) { escapable in
            step.pointee = unsafeBitCast(escapable, to: Step.self)
            transfuse_atomic_store(words + 1, 0)
            _ = transfuse_atomic_add(words, 1)
            escapable(0)
            transfuse_wait_equal(words + 1, size - 1)
            step.pointee = nil
        }
    }

    /// A worker's loop: wait for a new generation, run the step (or stop), report it done.
    private static func work(member: Int, words: UnsafeMutablePointer<Int>, step: UnsafeMutablePointer<Step?>) {
        var seen = 0
        while true {
            seen = transfuse_wait_change(words, seen)
            if transfuse_atomic_load(words + 2) != 0 { return }
            step.pointee?(member)
            _ = transfuse_atomic_add(words + 1, 1)
        }
    }
}

/// A raw pointer handed to the team's threads (they synchronise through the atomics above).
private struct UncheckedPointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
