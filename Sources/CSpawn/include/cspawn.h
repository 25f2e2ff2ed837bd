#ifndef DRILLWATCH_CSPAWN_H
#define DRILLWATCH_CSPAWN_H
#include <spawn.h>

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module
/// does not export: every descriptor from `from` on is closed in the child, whatever flags
/// the parent opened it with.
int drillwatch_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// `pipe2(fds, O_CLOEXEC)`: a pipe whose ends no other child inherits (GNU, not exported either).
int drillwatch_pipe_cloexec(int fds[2]);

#endif
