//! Golden programs of the policy compiler: the bench policies (Docker's default
//! profile through the OCI resolver, `app-lockdown`, `arg-heavy`) compiled,
//! disassembled and compared with `xtask/golden/compiled/NAME.txt`, so that a
//! change to `seccompy-bpf`'s compiler that changes any of these programs is
//! seen. Set `UPDATE_GOLDEN=1` to rewrite the files after a deliberate change
//! of the output, then review the diff.

#[cfg(test)]
mod tests {
    use seccompy_bpf::Program;
    use seccompy_bpf::asm::{ShowError, assemble};
    use seccompy_bpf::disasm::disassemble;
    use seccompy_bpf::oci::{KernelVersion, Profile, ResolveOptions};
    use seccompy_bpf::validate;
    use seccompy_sys::syscalls::Abi;

    use crate::bench::{policies, seccompy_peer};

    const DOCKER_DEFAULT: &str = include_str!("../../../profiles/docker-default.json");

    fn check_golden(name: &str, prog: &Program) {
        validate(prog.insns()).expect("compiled programs are valid");
        let text = disassemble(prog.insns(), Abi::X86_64);
        let path = crate::workspace_root()
            .join("xtask/golden/compiled")
            .join(format!("{name}.txt"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let golden = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
        assert_eq!(text, golden, "the program compiled for {name} changed");
        // The text pins every instruction: it assembles back into the same ones.
        let back = assemble(&golden).unwrap_or_else(|e| {
            panic!(
                "{}",
                ShowError {
                    text: &golden,
                    error: &e
                }
            )
        });
        assert_eq!(
            back.insns(),
            prog.insns(),
            "{name}: the golden text assembles back"
        );
    }

    #[test]
    fn docker_default_through_the_oci_resolver() {
        let profile = Profile::from_json(DOCKER_DEFAULT).unwrap();
        // A fixed kernel, so that the program does not depend on the machine's.
        let opts = ResolveOptions::new(Abi::X86_64, KernelVersion::new(6, 18));
        let prog = profile
            .resolve(&opts)
            .unwrap()
            .expect("Docker's profile installs a filter")
            .to_policy()
            .unwrap()
            .compile()
            .unwrap();
        check_golden("docker-default", &prog);
    }

    #[test]
    fn app_lockdown() {
        let policy = seccompy_peer::policy(&policies::app_lockdown()).unwrap();
        check_golden("app-lockdown", &policy.compile().unwrap());
    }

    #[test]
    fn arg_heavy() {
        let policy = seccompy_peer::policy(&policies::arg_heavy()).unwrap();
        check_golden("arg-heavy", &policy.compile().unwrap());
    }
}
