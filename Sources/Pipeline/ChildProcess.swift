import CSpawn
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program that drillwatch does not trust to behave (a hook, a configuration check)
/// and never waits on it past its deadline.
///
/// The contract, and why:
/// - started with `posix_spawn`, without a shell, in a **process group of its own**, so that
///   at the deadline the whole group — the program and every child it started — is stopped
///   (SIGTERM, then SIGKILL half a second later);
/// - only standard input, output and error are open in it: a background child that inherits
///   a descriptor of drillwatch's cannot hold drillwatch up (the cause of hooks stalling the
///   daemon), and none of drillwatch's files or sockets leak into it;
/// - its standard input is a complete (unlinked) file, never a pipe, so a drillwatch killed
///   mid-delivery cannot hand it half an alert;
/// - signal dispositions and the mask are reset to the defaults, so the group can be stopped
///   whatever drillwatch itself ignores;
/// - the program's standard error is kept (the first `stderrLimit` bytes) for the user;
///   standard output goes to /dev/null;
/// - waiting is polling (every 10 ms) on a thread of its own; a cancelled task (the daemon
///   shutting down) stops the group at once and returns; when the program exits, drillwatch
///   returns at once, whatever its children still do with the streams they share.
public enum ChildProcess {
    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// Ran past its deadline; its group was stopped.
        case timedOut
        /// The waiting task was cancelled; its group was stopped.
        case cancelled
        case cannotStart(String)
    }

    public struct Outcome: Sendable, Equatable {
        public var termination: Termination
        /// What it wrote on standard error (the first bytes), trimmed.
        public var stderr: String
        /// From the start to its end (or its group's stop), as the watching thread saw it.
        public var duration: Duration = .zero
        public var succeeded: Bool { termination == .exited(0) }
    }

    /// Set when the waiting task is cancelled; read by the watching thread.
    final class CancelFlag: Sendable {
        private let flag = Atomic<Bool>(false)
        func set() { flag.store(true, ordering: .relaxed) }
        var isSet: Bool { flag.load(ordering: .relaxed) }
    }

    /// How long a stopped group gets between SIGTERM and SIGKILL.
    static let graceAfterTerm: Duration = .milliseconds(500)
    static let pollInterval: Duration = .milliseconds(10)

    public static func run(_ arguments: [String], input: [UInt8] = [], timeout: Duration, stderrLimit: Int = 4096) async -> Outcome {
        guard let program = arguments.first else { return Outcome(termination: .cannotStart("no program"), stderr: "") }
        let inputFD: Int32
        switch inputFile(input) {
        case .success(let fd): inputFD = fd
        case .failure(let error): return cannotStart("the hook's input file", error.code.rawValue)
        }
        var errorPipe: [Int32] = [-1, -1]
        guard drillwatch_pipe_cloexec(&errorPipe) == 0 else {
            close(inputFD)
            return cannotStart("pipe", errno)
        }
        let spawned = spawn(program, arguments, stdin: inputFD, stderr: errorPipe[1])
        close(inputFD)
        close(errorPipe[1])
        guard spawned.status == 0 else {
            close(errorPipe[0])
            return cannotStart(program, spawned.status)
        }
        let pid = spawned.pid
        _ = fcntl(errorPipe[0], F_SETFL, fcntl(errorPipe[0], F_GETFL) | O_NONBLOCK)
        let errorFD = errorPipe[0]
        let started = ContinuousClock.now
        let deadline = started + timeout
        let cancelled = CancelFlag()
        // The watching happens on a thread of its own, not on the shared pool: a deadline must
        // hold even while every pool thread is busy (classifying, or blocked elsewhere).
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    var session = Session(pid: pid, errorFD: errorFD, stderrLimit: stderrLimit)
                    let termination = session.wait(until: deadline, cancelled: cancelled)
                    session.closeAll()
                    continuation.resume(returning: Outcome(termination: termination, stderr: session.errorText,
                                                           duration: ContinuousClock.now - started))
                }
            }
        } onCancel: {
            cancelled.set()
        }
    }

    /// The input as an unlinked temporary file, positioned at its start. Why not a pipe: a
    /// program reading a pipe sees a clean end of input when drillwatch dies mid-write (a kill
    /// -9 during delivery), and would act on half an alert; a file is whole before the program
    /// starts, whatever happens to drillwatch after.
    private static func inputFile(_ input: [UInt8]) -> Result<Int32, POSIXError> {
        let folder = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((folder + "/drillwatch-hook-XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { return .failure(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        var written = 0
        while written < input.count {
            let count = input.withUnsafeBytes { write(fd, $0.baseAddress! + written, input.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let code = errno
                close(fd)
                return .failure(POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO))
            }
            written += count
        }
        lseek(fd, 0, SEEK_SET)
        return .success(fd)
    }

    private static func cannotStart(_ what: String, _ code: Int32) -> Outcome {
        Outcome(termination: .cannotStart("\(what): \(String(cString: strerror(code)))"), stderr: "")
    }

    /// Returns the child's pid, or posix_spawn's error number (0 on success).
    private static func spawn(_ program: String, _ arguments: [String], stdin: Int32, stderr: Int32) -> (pid: pid_t, status: Int32) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        drillwatch_spawn_addclosefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        var none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, program, &actions, &attributes, &argv, environ)
        return (pid, status)
    }

    /// One running child: its pipes and what it wrote, until it is reaped.
    private struct Session {
        let pid: pid_t
        var errorFD: Int32
        let stderrLimit: Int
        var errorBytes: [UInt8] = []

        init(pid: pid_t, errorFD: Int32, stderrLimit: Int) {
            self.pid = pid
            self.errorFD = errorFD
            self.stderrLimit = stderrLimit
        }

        var errorText: String {
            String(decoding: errorBytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        mutating func wait(until deadline: ContinuousClock.Instant, cancelled: CancelFlag) -> Termination {
            while true {
                pump()
                if let termination = reap() {
                    pump()
                    return termination
                }
                if cancelled.isSet {
                    stopGroup()
                    return .cancelled
                }
                if ContinuousClock.now >= deadline {
                    stopGroup()
                    return .timedOut
                }
                Self.pause()
            }
        }

        /// Reads what the child wrote on its standard error, without blocking.
        mutating func pump() {
            guard errorFD >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(errorFD, $0.baseAddress!, $0.count) }
                if count > 0 {
                    errorBytes += buffer[0..<min(count, max(0, stderrLimit - errorBytes.count))]
                    continue
                }
                if count < 0 && errno == EINTR { continue }
                if count == 0 { close(errorFD); errorFD = -1 }
                return
            }
        }

        /// The child's end, if it has ended (without blocking).
        func reap() -> Termination? {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            guard result == pid else { return result < 0 && errno != EINTR ? .exited(-1) : nil }
            // WIFEXITED / WIFSIGNALED, spelled out (the macros are not imported).
            let signal = status & 0x7F
            return signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
        }

        /// SIGTERM to the group, SIGKILL after the grace period, then reap briefly (a process
        /// stuck in the kernel is left to init rather than waited on).
        func stopGroup() {
            kill(-pid, SIGTERM)
            let killAt = ContinuousClock.now + ChildProcess.graceAfterTerm
            while ContinuousClock.now < killAt {
                if reap() != nil { kill(-pid, SIGKILL); return }
                Self.pause()
            }
            kill(-pid, SIGKILL)
            for _ in 0..<100 where reap() == nil { Self.pause() }
        }

        static func pause() {
            usleep(useconds_t(ChildProcess.pollInterval / .microseconds(1)))
        }

        mutating func closeAll() {
            if errorFD >= 0 { close(errorFD); errorFD = -1 }
        }
    }
}
