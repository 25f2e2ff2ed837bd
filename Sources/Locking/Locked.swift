#if canImport(Glibc)
import Glibc
#endif

/// A value shared between threads, guarded by a pthread mutex.
///
/// Why not `Synchronization.Mutex`: with Swift 6.3 on Linux, its contended path parks the thread
/// in code that ThreadSanitizer does not see, so TSan reports every contended `withLock` as a
/// data race (`scripts/tsan-mutex-probe` shows it on eight lines of code). Those reports would
/// drown a real race in the fetcher or the daemon. `pthread_mutex_lock` is intercepted by TSan,
/// so with this lock the sanitizer checks drillwatch instead of reporting the toolchain.
///
/// `@unchecked Sendable` is sound: `value` is read and written only inside `withLock`, holding
/// the one `Lock` this object owns, so no two threads touch it at once; and `Value: Sendable`,
/// so what leaves the lock may cross threads.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = Lock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with the value while holding the lock. Keep it short: no I/O, no waiting.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try lock.withLock { try body(&value) }
    }
}

/// A pthread mutex guarding state that is not a value of its own (C handles, several stored
/// properties of one owner), for the owner's methods to hold while they touch it.
///
/// Not `Locked<Void>`: ThreadSanitizer reported the inout access to its zero-sized value as a
/// race with the lock's own field (when the analyzer used one). `@unchecked Sendable` is sound:
/// the mutex is allocated once, never moved, and only locked and unlocked.
public final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` holding the lock. Keep it short: no I/O, no waiting.
    public func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
