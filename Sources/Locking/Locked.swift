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
    /// Exempt from the run-time exclusivity check (`@exclusivity(unchecked)`): the mutex
    /// already keeps any two accesses apart (a `body` that called `withLock` again would
    /// wait on the mutex forever, not overlap), and the classifier's pools take such a lock a
    /// dozen times an item.
    @exclusivity(unchecked) private var value: Value

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

/// A pthread read–write lock: any number of readers at once, or one writer; a waiting writer
/// goes before new readers, so a thread must never take the read side while it holds it. For
/// state read far more often than it changes (the analyzer's lexicon: nearly every word of a
/// text is known), where a mutex made the threads reading it queue behind each other.
///
/// `@unchecked Sendable` is sound for the same reasons as `Lock`: the lock is allocated once,
/// never moved, and only locked and unlocked; what it guards is its owner's to document.
public final class ReadWriteLock: @unchecked Sendable {
    private let rwlock: UnsafeMutablePointer<pthread_rwlock_t>

    public init() {
        rwlock = .allocate(capacity: 1)
        rwlock.initialize(to: pthread_rwlock_t())
        // Writers first: glibc's default lets readers in while a writer waits, so threads
        // reading without pause could keep a new word out for ever. Safe only because no
        // thread takes the read side twice (a second read would wait behind a waiting writer).
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        defer { pthread_rwlockattr_destroy(&attributes) }
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        precondition(pthread_rwlock_init(rwlock, &attributes) == 0, "pthread_rwlock_init failed")
    }

    deinit {
        pthread_rwlock_destroy(rwlock)
        rwlock.deinitialize(count: 1)
        rwlock.deallocate()
    }

    /// Tries `attempt` a while before `block`ing. The lock is held for microseconds (a text's
    /// words looked up), and on two cores a thread put to sleep and woken for each of those
    /// cost more than the work: the near-duplicate benchmark's first round took 0.16 s with
    /// plain blocking, 0.10 s spinning first (2,000 tries is some tens of microseconds).
    private func acquire(_ attempt: (UnsafeMutablePointer<pthread_rwlock_t>) -> Int32,
                         _ block: (UnsafeMutablePointer<pthread_rwlock_t>) -> Int32) {
        for _ in 0..<2000 where attempt(rwlock) == 0 { return }
        _ = block(rwlock)
    }

    /// Runs `body` while no writer holds the lock; other readers may run beside it. `body`
    /// must only read what the lock guards.
    public func withReading<Result>(_ body: () throws -> Result) rethrows -> Result {
        acquire(pthread_rwlock_tryrdlock, pthread_rwlock_rdlock)
        defer { pthread_rwlock_unlock(rwlock) }
        return try body()
    }

    /// Runs `body` holding the lock alone. Keep it short: no I/O, no waiting.
    public func withWriting<Result>(_ body: () throws -> Result) rethrows -> Result {
        acquire(pthread_rwlock_trywrlock, pthread_rwlock_wrlock)
        defer { pthread_rwlock_unlock(rwlock) }
        return try body()
    }
}
