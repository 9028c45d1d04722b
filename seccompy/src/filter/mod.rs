//! [`Filter`]: rules for system calls, compiled to a seccomp program by
//! `seccompy-bpf`'s policy compiler.

mod action;
pub(crate) mod args;
mod convert;

use seccompy_bpf::policy::{Condition, Policy, Rule, Syscall};
use seccompy_bpf::{ActionError, CompileError, Program};
use seccompy_sys::syscalls::Abi;

pub use action::FilterAction;
pub use args::FilterArgs;
pub use convert::FromPolicyError;

/// Why [`Filter::compile`] failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// An action's data is out of range (an errno outside `1..=4095`).
    #[error("invalid action {action}: {source}")]
    Action {
        /// The action.
        action: FilterAction,
        /// What is wrong with it.
        #[source]
        source: ActionError,
    },
    /// The compiler refused the rules (a syscall name no ABI of the filter knows,
    /// a condition on an argument past the sixth, a program over 4096
    /// instructions).
    #[error("the filter cannot be compiled")]
    Compile(#[source] CompileError),
    /// A condition compares all 64 bits ([`Arg`](crate::Arg)) of an argument the
    /// kernel reads 32 bits of (an `int`, `unsigned int`, `pid_t`, ... on an ABI
    /// with 64-bit registers): a caller would steer it with high bits the kernel
    /// ignores (`socket(0x1_0000_0028, ...)` is `AF_VSOCK` to the kernel, not to
    /// `Arg(0).eq(40)`). Compare the low word with [`Arg32`](crate::Arg32). The
    /// argument types are `seccompy-sys`'s generated
    /// [signatures](seccompy_sys::signatures); arguments narrower than 32 bits
    /// (`umode_t`) and calls without a signature are not checked.
    #[error(
        "{syscall}'s args[{index}] is `{c_type} {name}`, of which the kernel reads 32 bits on \
         {abi}: a 64-bit condition (Arg) there can be passed with high bits the kernel ignores; \
         compare the low word with Arg32"
    )]
    WideCondition {
        /// The system call.
        syscall: &'static str,
        /// The ABI.
        abi: Abi,
        /// The argument's index.
        index: u8,
        /// Its name in the kernel's declaration.
        name: &'static str,
        /// Its C type.
        c_type: &'static str,
    },
    /// The program is longer than [`FilterArgs::max_instruction_count`].
    #[error("the compiled filter has {len} instructions, more than the maximum of {max}")]
    TooLong {
        /// The program's length.
        len: usize,
        /// The maximum asked for.
        max: usize,
    },
}

/// A seccomp filter: an action for each system call, possibly depending on the
/// call's arguments, and a default for the others.
///
/// `Filter` collects rules; [`compile`](Self::compile) turns them into a BPF
/// program with `seccompy-bpf`'s decision-tree compiler (the same compiler and
/// guarantees as [`Policy::compile`]: the program checks the arch first, refuses
/// x32 calls on an x86_64 filter, compares 64-bit arguments on both words, and
/// leaves every argument-free allowed call cacheable by the kernel).
/// [`set_filter`](crate::set_filter) installs the program.
///
/// When several rules match a call, the most restrictive action wins, whatever
/// the order they were added in; a matching rule always overrides the default.
/// The full semantics are [`seccompy_bpf::policy`]'s.
///
/// # Names and numbers
///
/// A filter can decide the calls of several ABIs ([`add_abi`](Self::add_abi)),
/// which number the same system call differently (`read` is 0 on x86_64, 3 on
/// i386, where 0 is `restart_syscall`). Every method that takes a syscall
/// follows one rule:
///
/// - a **name** (`"read"`) means that system call on every ABI of the filter,
///   under each ABI's own number for it;
/// - a **number** (`libc::SYS_read as u32`, a [`Syscall::Nr`] or a
///   [`Syscall::Range`]) is a number of the filter's native ABI,
///   [`FilterArgs::arch`], and never a number of another ABI. A number the
///   native ABI's syscall table names stands for that name, so it too means
///   the system call on every ABI; a number (or range) the table does not
///   name is decided on the native ABI only.
///
/// ```
/// use seccompy::{Filter, FilterAction, FilterArgs};
/// use seccompy::sys::syscalls::Abi;
///
/// let mut filter = Filter::new(FilterArgs {
///     default_action: FilterAction::Errno { errno: libc::EPERM },
///     arch: Abi::X86_64,
///     ..FilterArgs::default()
/// });
/// filter.add_abi(Abi::I386).add_syscall(0, FilterAction::Allow); // x86_64's read
/// let policy = filter.to_policy()?;
/// let i386 = |nr| seccompy::sys::seccomp_data { nr, arch: Abi::I386.audit_arch(), ..Default::default() };
/// assert_eq!(policy.evaluate(&i386(3)), seccompy::bpf::Action::Allow); // i386 read
/// assert_ne!(policy.evaluate(&i386(0)), seccompy::bpf::Action::Allow); // i386 restart_syscall
/// # Ok::<(), seccompy::FilterError>(())
/// ```
///
/// Seccomp filters exist since Linux 3.5; [`FilterAction`] says which actions
/// came later.
///
/// # References
/// - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
/// - [Seccomp BPF, in the kernel's documentation](https://www.kernel.org/doc/html/latest/userspace-api/seccomp_filter.html)
///
/// ```
/// use seccompy::{Arg32, Filter, FilterAction, FilterArgs};
///
/// let mut filter = Filter::new(FilterArgs {
///     default_action: FilterAction::Errno { errno: libc::EPERM },
///     ..FilterArgs::default()
/// });
/// filter
///     .add_syscall_group(&[libc::SYS_read as u32, libc::SYS_write as u32], FilterAction::Allow)
///     // socket(AF_INET6, ...) fails with EAFNOSUPPORT, other families are allowed.
///     .add_syscall("socket", FilterAction::Allow)
///     .add_rule(
///         "socket",
///         FilterAction::Errno { errno: libc::EAFNOSUPPORT },
///         [Arg32(0).eq(libc::AF_INET6 as u32)],
///     );
/// let program = filter.compile()?;
/// assert!(program.len() < 64);
/// # Ok::<(), seccompy::FilterError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Filter {
    args: FilterArgs,
    abis: Vec<Abi>,
    /// The rules: syscall, whether it is decided on the native ABI only,
    /// action, conditions.
    rules: Vec<(Syscall, bool, FilterAction, Vec<Condition>)>,
    hot: Vec<Syscall>,
}

impl Filter {
    /// An empty filter: every call of [`FilterArgs::arch`] gets
    /// [`FilterArgs::default_action`], every other call
    /// [`FilterArgs::arch_mismatch_action`].
    #[must_use]
    pub fn new(args: FilterArgs) -> Self {
        Self {
            args,
            abis: vec![args.arch],
            rules: Vec::new(),
            hot: Vec::new(),
        }
    }

    /// The filter's settings.
    #[must_use]
    pub fn args(&self) -> &FilterArgs {
        &self.args
    }

    /// Gives each syscall of `syscalls`, numbered as [`FilterArgs::arch`] numbers
    /// them (`libc::SYS_*` for the host), the action `action`.
    ///
    /// A number the native syscall table names means that system call on every
    /// ABI of the filter; another number is decided on the native ABI only (see
    /// [Names and numbers](Self#names-and-numbers)).
    pub fn add_syscall_group(&mut self, syscalls: &[u32], action: FilterAction) -> &mut Self {
        for &nr in syscalls {
            self.push_rule(Syscall::Nr(nr), action, Vec::new());
        }
        self
    }

    /// Gives `syscall` (a name such as `"openat"`, a number of
    /// [`FilterArgs::arch`], or a [`Syscall`]) the action `action`. Numbers
    /// follow the rule of [Names and numbers](Self#names-and-numbers).
    pub fn add_syscall(&mut self, syscall: impl Into<Syscall>, action: FilterAction) -> &mut Self {
        self.push_rule(syscall.into(), action, Vec::new());
        self
    }

    /// Gives `syscall` the action `action` when every condition holds (AND); add
    /// several rules for the same syscall for alternatives (OR). Numbers follow
    /// the rule of [Names and numbers](Self#names-and-numbers).
    ///
    /// Conditions are built with [`Arg`](crate::Arg) (the whole 64-bit argument)
    /// and [`Arg32`](crate::Arg32) (its low 32 bits, for `int` arguments such as
    /// file descriptors and `AT_FDCWD`): `Arg(1).eq(0x1_0000_0000)`,
    /// `Arg32(0).eq(libc::AT_FDCWD as u32)`, `Arg32(2).bits_within(0o777)`.
    /// [`compile`](Self::compile) refuses an `Arg` condition on an argument the
    /// kernel reads 32 bits of ([`FilterError::WideCondition`]).
    pub fn add_rule(
        &mut self,
        syscall: impl Into<Syscall>,
        action: FilterAction,
        conditions: impl IntoIterator<Item = Condition>,
    ) -> &mut Self {
        self.push_rule(syscall.into(), action, conditions.into_iter().collect());
        self
    }

    /// Decides the calls of one more ABI with the same rules (say
    /// [`Abi::I386`] next to [`Abi::X86_64`], or [`Abi::X32`]). Rules given by
    /// name, or by a number the native syscall table names, apply on each ABI
    /// under that ABI's number for the name; other numbers stay the native
    /// ABI's (see [Names and numbers](Self#names-and-numbers)).
    pub fn add_abi(&mut self, abi: Abi) -> &mut Self {
        if !self.abis.contains(&abi) {
            self.abis.push(abi);
        }
        self
    }

    /// Names the syscalls expected to be the most frequent, most frequent first:
    /// the program reaches their decision in fewer instructions. Changes the
    /// program's speed, never its decisions. Numbers are
    /// [`FilterArgs::arch`]'s, as for
    /// [`add_syscall_group`](Self::add_syscall_group).
    pub fn add_hot_syscalls(&mut self, syscalls: &[u32]) -> &mut Self {
        for &nr in syscalls {
            let syscall = self.by_number(nr);
            self.hot.push(syscall);
        }
        self
    }

    fn by_number(&self, nr: u32) -> Syscall {
        match self.args.arch.syscall_name(nr) {
            Some(name) => Syscall::from(name),
            None => Syscall::Nr(nr),
        }
    }

    /// Adds a rule, its syscall read by the rule of
    /// [Names and numbers](Self#names-and-numbers): a number the native table
    /// names becomes the name; other numbers and ranges are the native ABI's only.
    fn push_rule(&mut self, syscall: Syscall, action: FilterAction, conditions: Vec<Condition>) {
        let syscall = match syscall {
            Syscall::Nr(nr) => self.by_number(nr),
            other => other,
        };
        let native_only = !matches!(syscall, Syscall::Name(_));
        self.rules.push((syscall, native_only, action, conditions));
    }

    /// The `seccompy-bpf` policy this filter compiles: for inspection, evaluation
    /// ([`Policy::evaluate`]) or compilation elsewhere.
    ///
    /// # Errors
    /// [`FilterError::Action`] for an action with out-of-range data.
    pub fn to_policy(&self) -> Result<Policy, FilterError> {
        let action = |a: FilterAction| {
            a.to_action()
                .map_err(|source| FilterError::Action { action: a, source })
        };
        let mut policy = Policy::new(action(self.args.default_action)?)
            .bad_arch_action(action(self.args.arch_mismatch_action)?)
            .abis(&self.abis)
            .hot_syscalls(self.hot.iter().cloned());
        for (syscall, native_only, a, conditions) in &self.rules {
            let mut rule =
                Rule::new(syscall.clone(), action(*a)?).when_all(conditions.iter().copied());
            if *native_only {
                rule = rule.only_on(self.args.arch);
            }
            policy = policy.rule(rule);
        }
        Ok(policy)
    }

    /// Compiles the filter to a program for [`set_filter`](crate::set_filter).
    ///
    /// # Errors
    /// See [`FilterError`].
    pub fn compile(&self) -> Result<Program, FilterError> {
        let policy = self.to_policy()?;
        if let Some(w) = policy
            .wide_conditions()
            .into_iter()
            .find(|w| w.kernel_bits == 32)
        {
            return Err(FilterError::WideCondition {
                syscall: w.syscall,
                abi: w.abi,
                index: policy
                    .rule_list()
                    .get(w.rule)
                    .and_then(|r| r.conditions().get(w.condition))
                    .map_or(0, |c| c.index()),
                name: w.param.name,
                c_type: w.param.c_type,
            });
        }
        let program = policy.compile().map_err(FilterError::Compile)?;
        if program.len() > self.args.max_instruction_count {
            return Err(FilterError::TooLong {
                len: program.len(),
                max: self.args.max_instruction_count,
            });
        }
        Ok(program)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccompy_bpf::Action;
    use seccompy_sys::seccomp_data;

    fn data(abi: Abi, nr: u32, args: [u64; 6]) -> seccomp_data {
        seccomp_data {
            nr: nr as i32,
            arch: abi.audit_arch(),
            instruction_pointer: 0,
            args,
        }
    }

    #[test]
    fn default_args_are_the_documented_ones() {
        let args = FilterArgs::default();
        assert_eq!(args.default_action, FilterAction::KillThread);
        assert_eq!(args.arch_mismatch_action, FilterAction::KillThread);
        assert_eq!(Some(args.arch), Abi::host());
        assert_eq!(args.max_instruction_count, 4096);
    }

    #[test]
    fn the_policy_carries_every_setting() {
        let mut f = Filter::new(FilterArgs {
            default_action: FilterAction::Errno { errno: 1 },
            arch: Abi::X86_64,
            arch_mismatch_action: FilterAction::Trap { data: 3 },
            max_instruction_count: 100,
        });
        f.add_syscall_group(&[0, 1], FilterAction::Allow)
            .add_syscall_group(&[0x3fff_0000], FilterAction::Log)
            .add_abi(Abi::I386)
            .add_hot_syscalls(&[1]);
        let p = f.to_policy().unwrap();
        assert_eq!(p.default_action(), Action::Errno(1));
        assert_eq!(p.bad_arch(), Action::Trap(3));
        assert_eq!(p.abi_list(), [Abi::X86_64, Abi::I386]);
        // x86_64 numbers 0 and 1 are read and write: by name, so they mean read
        // and write on i386 too (3 and 4 there).
        assert_eq!(p.rule_list()[0].syscall(), &Syscall::from("read"));
        assert_eq!(p.rule_list()[1].syscall(), &Syscall::from("write"));
        assert_eq!(p.rule_list()[2].syscall(), &Syscall::Nr(0x3fff_0000));
        assert_eq!(p.hot_list(), [Syscall::from("write")]);
        let i386_write = data(Abi::I386, 4, [0; 6]);
        assert_eq!(p.evaluate(&i386_write), Action::Allow);
        let program = f.compile().unwrap();
        assert!(program.len() <= 100);
    }

    /// What `filter`'s policy and its compiled program decide for a call of
    /// `abi` numbered `nr` (checked to agree).
    fn decide(filter: &Filter, abi: Abi, nr: u32) -> Action {
        let d = data(abi, nr, [0; 6]);
        let program = filter.compile().unwrap();
        let ret = seccompy_bpf::emulate(program.insns(), &d).unwrap().ret;
        let compiled = Action::from_raw(ret).unwrap();
        assert_eq!(compiled, filter.to_policy().unwrap().evaluate(&d));
        compiled
    }

    #[test]
    fn a_number_is_the_native_abis_in_every_entry_point() {
        let (x64, i386) = (Abi::X86_64, Abi::I386);
        let read = x64.syscall_nr("read").unwrap(); // 0: restart_syscall on i386
        let i386_read = i386.syscall_nr("read").unwrap();
        assert_eq!(i386.syscall_name(read), Some("restart_syscall"));
        let eperm = Action::Errno(1);
        let new = || {
            let mut f = Filter::new(FilterArgs {
                default_action: FilterAction::Errno { errno: 1 },
                arch: x64,
                ..FilterArgs::default()
            });
            f.add_abi(i386);
            f
        };
        type AddNr = fn(&mut Filter, u32);
        let entry_points: [(&str, AddNr); 4] = [
            ("add_syscall", |f, nr| {
                f.add_syscall(nr, FilterAction::Allow);
            }),
            ("add_syscall(Syscall::Nr)", |f, nr| {
                f.add_syscall(Syscall::Nr(nr), FilterAction::Allow);
            }),
            ("add_rule", |f, nr| {
                f.add_rule(nr, FilterAction::Allow, []);
            }),
            ("add_syscall_group", |f, nr| {
                f.add_syscall_group(&[nr], FilterAction::Allow);
            }),
        ];
        for (what, add) in entry_points {
            // A number the native table names: that call, on both ABIs.
            let mut f = new();
            add(&mut f, read);
            assert_eq!(decide(&f, x64, read), Action::Allow, "{what}");
            assert_eq!(decide(&f, i386, i386_read), Action::Allow, "{what}");
            assert_eq!(
                decide(&f, i386, read),
                eperm,
                "{what}: i386 restart_syscall"
            );
            // A number it does not name: that number on the native ABI only.
            let mut f = new();
            add(&mut f, 0x3fff_0000);
            assert_eq!(decide(&f, x64, 0x3fff_0000), Action::Allow, "{what}");
            assert_eq!(decide(&f, i386, 0x3fff_0000), eperm, "{what}");
        }
        // A range is the native ABI's numbers.
        let mut f = new();
        f.add_syscall(Syscall::Range { first: 0, last: 3 }, FilterAction::Allow);
        assert_eq!(decide(&f, x64, 2), Action::Allow);
        assert_eq!(decide(&f, i386, 2), eperm);
        // A name is the call on every ABI.
        let mut f = new();
        f.add_syscall("read", FilterAction::Allow);
        assert_eq!(decide(&f, i386, i386_read), Action::Allow);
        assert_eq!(decide(&f, i386, read), eperm);
    }

    #[test]
    fn errors_name_the_problem() {
        let mut f = Filter::new(FilterArgs::default());
        f.add_syscall("nanosleep", FilterAction::Errno { errno: 0 });
        assert!(matches!(
            f.compile(),
            Err(FilterError::Action {
                action: FilterAction::Errno { errno: 0 },
                ..
            })
        ));
        let mut f = Filter::new(FilterArgs::default());
        f.add_syscall("no_such_syscall", FilterAction::Allow);
        let e = f.compile().unwrap_err();
        assert!(
            matches!(e, FilterError::Compile(CompileError::UnknownSyscall { .. })),
            "{e}"
        );
        let mut f = Filter::new(FilterArgs {
            max_instruction_count: 3,
            ..FilterArgs::default()
        });
        f.add_syscall_group(&[0, 1, 2, 3], FilterAction::Allow);
        assert!(matches!(
            f.compile(),
            Err(FilterError::TooLong { max: 3, .. })
        ));
    }
}
