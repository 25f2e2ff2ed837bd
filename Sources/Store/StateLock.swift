import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One writer per state folder: `drillwatch run` and `drillwatch scan` each hold this lock
/// for as long as they live, so that a scan beside a running daemon (or a second daemon)
/// cannot deliver the same notifications twice. Commands that only read do not take it.
///
/// The lock is `flock` on `drillwatch.lock` in the state folder: the kernel drops it when the
/// process dies, however it dies, so a kill -9 never leaves a stale lock. The holder's pid is
/// written into the file for the message that refuses the next one.
public enum StateLock {
    public struct Held: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let holder: String?
        public var description: String {
            "another drillwatch (\(holder.map { "pid \($0)" } ?? "a running process")) is using this state: \(path) is locked; "
                + "stop it (systemctl stop drillwatch) or let its scan finish, then try again"
        }
    }

    /// Takes the lock for the life of the process (the descriptor is never closed).
    public static func acquire(stateFolder: URL) throws {
        try StatePermissions.createPrivateFolder(stateFolder.path)
        let path = stateFolder.appendingPathComponent("drillwatch.lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError(.cannotOpen, path: path, "cannot open the lock file (\(String(cString: strerror(errno))))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = read(fd, &buffer, buffer.count)
            close(fd)
            let holder = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : nil
            throw Held(path: path, holder: holder?.isEmpty == false ? holder : nil)
        }
        fchmod(fd, 0o600)
        ftruncate(fd, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
    }

    /// The pid of the process holding the lock, if any — found in the kernel's list of locks
    /// (`/proc/locks`), so looking takes no lock and cannot keep a daemon from starting.
    public static func holder(stateFolder: URL) -> Int32? {
        let path = stateFolder.appendingPathComponent("drillwatch.lock").path
        var info = stat()
        guard stat(path, &info) == 0, let locks = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return nil }
        // "1: FLOCK  ADVISORY  WRITE 12345 08:01:1234567 0 EOF": pid, then major:minor:inode.
        for line in locks.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 6, fields[1] == "FLOCK", let pid = Int32(fields[4]),
                  let inode = fields[5].split(separator: ":").last.flatMap({ UInt64($0) }), inode == UInt64(info.st_ino)
            else { continue }
            return pid
        }
        return nil
    }
}
