import { readSeccompProfile, seccompChoice } from '../../sdk/runtime/seccomp.ts';

/**
 * seccompOptions are the SecurityOpt entries that give a sandbox or container the seccomp
 * profile its CRI security context asks for: none (unconfined) unless it names one, Docker's own
 * default profile for RuntimeDefault, or the named profile file, whose JSON Docker reads as is.
 * A bad choice or an unreadable file is Invalid, raised before any Docker object is made.
 */
export function seccompOptions(context: Parameters<typeof seccompChoice>[0]): string[] {
  const choice = seccompChoice(context);
  switch (choice.kind) {
    case 'unconfined':
      return ['seccomp=unconfined'];
    case 'runtime-default':
      return [];
    case 'localhost':
      return [`seccomp=${readSeccompProfile(choice.path).text}`];
  }
}
