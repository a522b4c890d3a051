import { constants } from 'node:os';

/**
 * The conversation with the step spawner (src/process/spawner.ts), kept apart from the process
 * so that it is tested without one. A request is a line with the byte length of its body, then
 * the body: NUL-separated fields (NUL cannot occur in an argument, a path or the environment).
 * The spawner answers with lines: `S <id> <pid> <start>` once a step runs (`start` is when the
 * process started, field 22 of /proc/<pid>/stat, or `-` when that cannot be read), and
 * `E <id> <wait status>` once it has exited.
 */
export interface SpawnRequest {
  readonly id: number;
  readonly argv: readonly string[];
  /** Made when missing, with its parents, like `folders`. */
  readonly cwd: string;
  /** Folders the step writes into (an install's image), made with their parents before it starts. */
  readonly folders: readonly string[];
  /** Where stdout and stderr are appended (the file and its folder are made when missing). */
  readonly logFile: string;
  /** Written to the log before the step starts (what runs, and where); nothing when empty. */
  readonly note: string;
  /** Whether the step keeps the jobserver's descriptors (3 and 4); otherwise they are closed. */
  readonly jobserver: boolean;
  readonly env: Readonly<Record<string, string>>;
}

export function encodeRequest(request: SpawnRequest): Buffer {
  const fields = [
    String(request.id),
    request.cwd,
    request.logFile,
    request.note,
    request.jobserver ? '1' : '0',
    String(request.folders.length),
    ...request.folders,
    String(request.argv.length),
    ...request.argv,
    ...Object.entries(request.env).map(([name, value]) => `${name}=${value}`),
  ];
  for (const field of fields) if (field.includes('\0')) throw new Error(`a step cannot be given a NUL byte: ${JSON.stringify(field)}`);
  const body = Buffer.from(fields.join('\0'));
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}

export type SpawnAnswer =
  | { readonly type: 'started'; readonly id: number; readonly pid: number; readonly start: string | undefined }
  | { readonly type: 'exited'; readonly id: number; readonly exit: StepExit };

export interface StepExit {
  /** Undefined when a signal ended it. */
  readonly exitCode: number | undefined;
  readonly signal: NodeJS.Signals | undefined;
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));

/** What a wait status (as waitpid(2) gives it) says. */
export function decodeWaitStatus(status: number): StepExit {
  const signal = status & 0x7f;
  if (signal === 0) return { exitCode: (status >> 8) & 0xff, signal: undefined };
  return { exitCode: undefined, signal: SIGNAL_NAMES.get(signal) ?? (`SIG${signal}` as NodeJS.Signals) };
}

/** One answer line, or undefined for a line that is not one. */
export function parseAnswer(line: string): SpawnAnswer | undefined {
  const started = /^S (\d+) (\d+) (\d+|-)$/.exec(line);
  if (started) return { type: 'started', id: Number(started[1]), pid: Number(started[2]), start: started[3] === '-' ? undefined : started[3] };
  const exited = /^E (\d+) (\d+)$/.exec(line);
  if (exited) return { type: 'exited', id: Number(exited[1]), exit: decodeWaitStatus(Number(exited[2])) };
  return undefined;
}

/**
 * The spawner itself, run by `perl -e` (perl-base is part of every Debian system). It stays small
 * on purpose: a fork copies the forker's page tables, so its cost grows with the forker's size,
 * and node's fork blocks its one thread (figures in docs/performance.md).
 *
 * It forks each step, makes it the leader of its own process group, reports its pid and start
 * time (which the run's journal of running steps records, src/workdir/running.ts: read here, it
 * costs node's thread nothing), and reports how it ended once it has reaped it. The forked
 * child makes the step's log, its folder and the folders the step needs, and writes the note,
 * before it becomes the step: on this kind of virtual machine a folder made while other
 * processes fork and exit costs node's one thread up to a millisecond, and a graph of many small
 * tasks makes several per recipe.
 *
 * It exits when its input closes (we are done, or were killed): the steps it started then go on
 * without anyone watching, as the steps of a killed run always did, and the next run ends them
 * (src/workdir/running.ts).
 */
export const SPAWNER_SCRIPT = String.raw`
use strict;
use warnings;
use POSIX ();
my %running;
# Only to wake select() when a step exits.
$SIG{CHLD} = sub {};
my $buffer = '';
my $rin = '';
vec($rin, fileno(STDIN), 1) = 1;
# Whole lines, also when SIGCHLD interrupts a write to a full pipe.
sub answer {
  my $line = "$_[0]\n";
  while (length $line) {
    my $n = syswrite(STDOUT, $line);
    if (!defined $n) { next if $!{EINTR}; exit 1; }
    substr($line, 0, $n) = '';
  }
}
sub fail_step {
  my ($message) = @_;
  print STDERR "$message\n";
  POSIX::_exit(127);
}
# mkdir -p, trying the folder itself first: usually it or its parent is there, and each system
# call counts on the way from one small step to the next.
sub make_folder {
  my ($dir) = @_;
  return if $dir eq '' || mkdir($dir) || $!{EEXIST};
  my $parent = $dir =~ s{/*[^/]+/*$}{}r;
  make_folder($parent) if $parent ne $dir && $!{ENOENT};
  mkdir($dir) or $!{EEXIST} or fail_step("cannot make the folder $dir: $!");
}
# Field 22 of proc(5)'s stat, counted after the command name, which may hold spaces and parentheses.
sub start_time {
  my ($pid) = @_;
  open(my $stat, '<', "/proc/$pid/stat") or return '-';
  my $line = <$stat> // '';
  close($stat);
  my @fields = split ' ', ($line =~ s/^.*\)//sr);
  return defined $fields[19] && $fields[19] =~ /^\d+$/ ? $fields[19] : '-';
}
sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $id = delete $running{$pid};
    answer("E $id $?") if defined $id;
  }
}
sub start {
  my ($body) = @_;
  my ($id, $cwd, $log, $note, $jobserver, $foldc, @rest) = split /\0/, $body, -1;
  my @folders = splice(@rest, 0, $foldc);
  my $argc = shift @rest;
  my @argv = splice(@rest, 0, $argc);
  my %env = map { split /=/, $_, 2 } @rest;
  my $pid = fork();
  if (!defined $pid) { answer("E $id " . (127 << 8)); return; }
  if ($pid == 0) {
    $SIG{CHLD} = 'DEFAULT';
    POSIX::setpgid(0, 0);
    open(STDIN, '<', '/dev/null') or POSIX::_exit(127);
    if (!open(STDOUT, '>>', $log)) {
      make_folder($log =~ s{/*[^/]+$}{}r) if $!{ENOENT};
      open(STDOUT, '>>', $log) or fail_step("cannot open the log $log: $!");
    }
    open(STDERR, '>&', \*STDOUT) or POSIX::_exit(127);
    syswrite(STDOUT, "$note\n") if length $note;
    if ($jobserver ne '1') { POSIX::close(3); POSIX::close(4); }
    make_folder($_) for @folders;
    if (!chdir($cwd)) {
      make_folder($cwd) if $!{ENOENT};
      chdir($cwd) or fail_step("cannot run $argv[0]: cannot enter $cwd: $!");
    }
    %ENV = %env;
    { exec { $argv[0] } @argv; }
    fail_step("cannot run $argv[0]: $!");
  }
  POSIX::setpgid($pid, $pid);
  $running{$pid} = $id;
  # Not reaped before this answer, so its stat is there even if it has exited already.
  answer("S $id $pid " . start_time($pid));
}
while (1) {
  reap();
  # A step that exits between reap() and select() does not wake it: the timeout bounds the wait.
  my $ready = select(my $rout = $rin, undef, undef, %running ? 0.02 : undef);
  next if $ready <= 0;
  my $n = sysread(STDIN, $buffer, 65536, length($buffer));
  next if !defined $n && $!{EINTR};
  exit 0 unless $n;
  while ($buffer =~ /^(\d+)\n/) {
    my $length = $1;
    my $start = length($length) + 1;
    last if length($buffer) < $start + $length;
    start(substr($buffer, $start, $length));
    substr($buffer, 0, $start + $length) = '';
  }
}
`;
