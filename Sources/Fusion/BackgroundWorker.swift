import Foundation

/// One thread of its own that runs submitted jobs in order, at the lowest scheduling priority.
///
/// The fusion averages and writes finished layers here while the main thread aligns the next
/// one. On two cores the main thread's products and passes use both cores; a writer at normal
/// priority takes half of one of them and OpenBLAS's evenly split products wait for their
/// slower half. At the lowest priority (nice 19; Linux's nice value is per thread) the
/// scheduler runs the writer on cycles the alignment leaves idle. Jobs are dropped as soon as
/// they have run, so nothing they capture outlives them.
final class BackgroundWorker: @unchecked Sendable {
    private let condition = NSCondition()
    private var queued: [() -> Void] = []
    private var running = false
    private var stopping = false
    private var stopped = false

    init(name: String) {
        let thread = Thread { [self] in work() }
        thread.name = name
        thread.start()
    }

    /// Queues `job`; it runs after every job queued before it.
    func submit(_ job: @escaping () -> Void) {
        condition.lock()
        precondition(!stopping, "submit after stop")
        queued.append(job)
        condition.broadcast()
        condition.unlock()
    }

    /// Returns once every job submitted so far has run.
    func waitUntilIdle() {
        condition.lock()
        while !queued.isEmpty || running { condition.wait() }
        condition.unlock()
    }

    /// Runs the jobs still queued, then ends the thread; returns when it has ended.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    private func work() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)   // this thread only
        #endif
        condition.lock()
        while true {
            while queued.isEmpty && !stopping { condition.wait() }
            if queued.isEmpty { break }
            running = true
            var job: (() -> Void)? = queued.removeFirst()
            condition.unlock()
            job?()
            job = nil   // released before anyone is told the job has run
            condition.lock()
            running = false
            condition.broadcast()
        }
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
