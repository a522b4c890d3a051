import path from 'node:path';

/** Where everything of one work directory lives (see docs/design.md, "Work directory"). */
export class WorkLayout {
  constructor(readonly root: string) {}

  src(recipe: string): string {
    return path.join(this.root, 'src', recipe);
  }
  /** The recipe's source tree with where it is unpacked first and its label (which artifact made it). */
  tree(recipe: string): { dest: string; temp: string; label: string } {
    return { dest: this.src(recipe), temp: path.join(this.root, 'src', `.unpacking-${recipe}`), label: path.join(this.stateDir(recipe), 'source') };
  }
  obj(recipe: string): string {
    return path.join(this.root, 'obj', recipe);
  }
  image(recipe: string): string {
    return path.join(this.root, 'image', recipe);
  }
  /** Where an image from the artifact cache is unpacked and checked before it replaces the image. */
  restoring(recipe: string): string {
    return path.join(this.root, 'image', `.restoring-${recipe}`);
  }
  /** The package build tree dpkg-shlibdeps reads while the recipe is packaged (beside the image: its files are hard-linked). */
  shlibdeps(recipe: string): string {
    return path.join(this.root, 'image', `.shlibdeps-${recipe}`);
  }
  stage(recipe: string): string {
    return path.join(this.root, 'stage', recipe);
  }
  logs(recipe: string): string {
    return path.join(this.root, 'logs', recipe);
  }
  log(recipe: string, task: string): string {
    return path.join(this.logs(recipe), `${task}.log`);
  }
  /** The last build run's times, task by task (see workdir/timeline.ts). */
  get timeline(): string {
    return path.join(this.root, 'logs', 'timeline.json');
  }
  /** The chart of that run, drawn after every build and by `timeline`. */
  timelineChart(format: 'html' | 'svg'): string {
    return path.join(this.root, 'logs', `timeline.${format}`);
  }
  get stateRoot(): string {
    return path.join(this.root, 'state');
  }
  stateDir(recipe: string): string {
    return path.join(this.stateRoot, recipe);
  }
  /** The key of each task's last successful run (see workdir/state.ts); `_` starts no recipe's name. */
  get stateJournal(): string {
    return path.join(this.stateRoot, '_keys');
  }
  /** Where a task's key was kept before the journal (read once, to take it over). */
  legacyState(recipe: string, task: string): string {
    return path.join(this.stateDir(recipe), task);
  }
  /** Present while the recipe's source tree is as unpacked, untouched by any patch. */
  pristine(recipe: string): string {
    return path.join(this.stateDir(recipe), '.pristine');
  }
  /** What the source tree held once unpacked and patched (to tell a damaged tree after a failure). */
  treeListing(recipe: string): string {
    return path.join(this.stateDir(recipe), 'source-files');
  }
  /** Which .deb the recipe's package task wrote last (its name is known only once built). */
  packageRecord(recipe: string): string {
    return path.join(this.stateDir(recipe), 'package-output.json');
  }
  /** How long each task took the last time it ran (for the live view's estimates and the heartbeat). */
  get durations(): string {
    return path.join(this.root, 'state', 'durations.json');
  }
  get out(): string {
    return path.join(this.root, 'out');
  }
  get lock(): string {
    return path.join(this.root, '.lock');
  }
  /** The journals of the steps runs have running, one per run, named by its pid (see workdir/running.ts). */
  get runningSteps(): string {
    return path.join(this.root, 'running');
  }
  runningJournal(run: number): string {
    return path.join(this.runningSteps, String(run));
  }
  /** A fresh name for the jobserver's FIFO (removed as soon as it is open). */
  jobserverFifo(): string {
    return path.join(this.root, `.jobserver-${process.pid}-${Date.now()}`);
  }
  /** The compiler wrappers of `--ccache`, one folder per recipe. */
  get ccacheBin(): string {
    return path.join(this.root, 'ccache-bin');
  }
  /** Everything a recipe owns in the work directory (what `clean RECIPE` removes). */
  recipeDirs(recipe: string): string[] {
    return [this.src(recipe), this.obj(recipe), this.image(recipe), this.shlibdeps(recipe), this.stage(recipe), this.logs(recipe), this.stateDir(recipe)];
  }
}
