import CSpawn
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Child processes for the tests, waited for a bounded time and never through a pipe.
///
/// Why not `Process.waitUntilExit()` and `readDataToEndOfFile()` on a `Pipe`: both can wait
/// for good. On Linux, Foundation learns that a child ended when the last copy of a socket the
/// child inherited is closed, on one manager thread shared by every `Process`; a pipe ends
/// only when every copy of its write end is closed. A descendant that outlives its parent (a
/// daemon's hook, the tests' PostgreSQL server) or a manager thread held up by another child
/// then leaves a test waiting until CI's time runs out, saying nothing. Here the child writes
/// into files, which are read once it has ended, and the wait has a deadline after which the
/// child is killed and the test fails with what it wrote so far.
public enum Subprocess {
    public struct Run: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// The child was still running at the deadline and was killed.
        public var timedOut: Bool
    }

    public struct CannotStart: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Runs `executable` with `arguments` and waits for it, at most `timeout`, blocking the
    /// calling thread: for set-up outside Swift concurrency. Tests use the `async` form.
    public static func run(_ executable: URL, _ arguments: [String], stdin: String? = nil, directory: URL? = nil,
                           timeout: TimeInterval = 300) throws -> Run {
        let child = try Child(executable, arguments, stdin: stdin, directory: directory)
        return child.finish(ended: child.process.waitForExit(timeout: timeout))
    }

    /// Runs `executable` with `arguments` and waits for it, at most `timeout`, suspending
    /// rather than blocking: a test waiting for a child holds none of the cooperative pool's
    /// threads (two on a two-core machine), which the other tests running meanwhile need.
    ///
    /// At most as many such children as cores run at once, the rest waiting (suspended) for
    /// a slot: with nothing holding the tests back, fifty CLI tests started fifty children on
    /// two cores, and a daemon test's first pass then missed its 15-second deadline.
    public static func run(_ executable: URL, _ arguments: [String], stdin: String? = nil, directory: URL? = nil,
                           timeout: TimeInterval = 300) async throws -> Run {
        await ChildSlots.shared.acquire()
        defer { Task { await ChildSlots.shared.release() } }
        let child = try Child(executable, arguments, stdin: stdin, directory: directory)
        return child.finish(ended: await child.process.waitForExit(timeout: timeout))
    }

    /// A counting semaphore for suspended tasks: slots for children.
    actor ChildSlots {
        static let shared = ChildSlots(free: max(2, ProcessInfo.processInfo.activeProcessorCount))
        private var free: Int
        private var waiting: [CheckedContinuation<Void, Never>] = []

        init(free: Int) {
            self.free = free
        }

        func acquire() async {
            if free > 0 {
                free -= 1
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        /// Hands the slot to the longest waiting task, or frees it.
        func release() {
            if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
        }
    }

    /// A started child writing into files of its own folder, removed when it is read.
    private struct Child {
        let process = Process()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-child-\(UUID())")
        var output: URL { folder.appendingPathComponent("out") }
        var error: URL { folder.appendingPathComponent("err") }

        init(_ executable: URL, _ arguments: [String], stdin: String?, directory: URL?) throws {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let input = folder.appendingPathComponent("in")
            do {
                try Data((stdin ?? "").utf8).write(to: input)
                for file in [output, error] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
                process.executableURL = executable
                process.arguments = arguments
                if let directory { process.currentDirectoryURL = directory }
                let handles = (try FileHandle(forReadingFrom: input), try FileHandle(forWritingTo: output), try FileHandle(forWritingTo: error))
                defer { for handle in [handles.0, handles.1, handles.2] { try? handle.close() } }
                process.standardInput = handles.0
                process.standardOutput = handles.1
                process.standardError = handles.2
                try process.run()
            } catch {
                try? FileManager.default.removeItem(at: folder)
                throw error
            }
        }

        /// What the child wrote, once it has ended (or was killed at its deadline).
        func finish(ended: Bool) -> Run {
            defer { try? FileManager.default.removeItem(at: folder) }
            return Run(status: ended ? process.terminationStatus : -1, stdout: String(decoding: Subprocess.contents(of: output.path), as: UTF8.self),
                       stderr: String(decoding: Subprocess.contents(of: error.path), as: UTF8.self), timedOut: !ended)
        }
    }

    /// A file's bytes, read with `read(2)`. Why not `Data(contentsOf:)`: in this Foundation
    /// it leaks 4 KiB for every empty file it reads (LeakSanitizer; a child's standard error
    /// is usually empty).
    private static func contents(of path: String) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return bytes }
            bytes += chunk[0..<count]
        }
    }

    /// Starts `script` under `/bin/sh` (as `user`, through `runuser`, when given) detached from
    /// this process: in a process group of its own, with nothing but /dev/null for its standard
    /// streams and no other descriptor of this process — so it holds no pipe or socket of
    /// another child however long it lives — and not tracked by Foundation.
    public static func launchDetached(_ script: String, as user: String?) throws {
        let arguments = user.map { ["/usr/sbin/runuser", "-u", $0, "--", "/bin/sh", "-c", script] } ?? ["/bin/sh", "-c", script]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        drillwatch_spawn_addclosefrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, environ)
        guard status == 0 else {
            throw CannotStart(description: "cannot start \(arguments[0]): \(String(cString: strerror(status)))")
        }
        // Not reaped: it ends after this process (or, failing to start its server, stays a
        // zombie until then).
    }
}

extension Process {
    /// Waits for the process to end, at most `timeout` seconds; kills it (SIGKILL) when the
    /// time is up and returns false. Polls `isRunning` rather than spinning a run loop in
    /// `waitUntilExit`, which depends on being woken by Foundation's manager thread.
    @discardableResult
    public func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() >= deadline {
                kill(processIdentifier, SIGKILL)
                // Foundation may still take a moment to see it; it is gone either way.
                let grace = Date().addingTimeInterval(5)
                while isRunning && Date() < grace { usleep(10_000) }
                return false
            }
            usleep(5_000)
        }
        return true
    }

    /// The same, suspending between looks instead of sleeping: see `Subprocess.run`.
    @discardableResult
    public func waitForExit(timeout: TimeInterval) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() >= deadline {
                kill(processIdentifier, SIGKILL)
                let grace = Date().addingTimeInterval(5)
                while isRunning && Date() < grace { try? await Task.sleep(for: .milliseconds(10)) }
                return false
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
