/*
 * libseccomp peer for `cargo xtask bench-bpf`.
 *
 * Reads a neutral filter description on stdin (written by xtask/src/bench/spec.rs),
 * builds it with libseccomp the way runc's InitSeccomp does (seccomp_init with the
 * default action, seccomp_arch_add for each listed arch, the native arch kept,
 * NO_NEW_PRIVS off, one seccomp_rule_add_array per rule), exports the program
 * with seccomp_export_bpf, and prints how long build + export took on each run.
 *
 * runc's rule mapping, reproduced here:
 *   - a rule whose action equals the default action is skipped;
 *   - a name that seccomp_syscall_resolve_name cannot resolve is skipped
 *     (a name known on another arch resolves to a negative pseudo number, which
 *     libseccomp then applies only to the arches that have it);
 *   - when two or more conditions of a rule test the same argument index, each
 *     condition becomes a rule of its own (runc's "old behaviour");
 *   - any other libseccomp error fails the build.
 *
 * Usage: libseccomp_peer OPTIMIZE RUNS OUT.bpf < SPEC
 *   OPTIMIZE  1 (libseccomp's default, a linear list per arch) or 2 (binary tree)
 *   RUNS      how many timed builds to do; the program of the last is written out
 * Output on stdout, one item per line:
 *   version MAJOR.MINOR.MICRO
 *   unknown NAME          (skipped: unknown to libseccomp)
 *   same-as-default NAME  (skipped: action equals the default)
 *   split NAME            (conditions split into one rule each)
 *   absent ARCH NAME      (a name libseccomp knows, but not on this arch of the filter)
 *   ns T1 T2 ...          (nanoseconds of each build + export)
 * Errors go to stderr with exit status 1 (bad input: 2).
 *
 * Input format (whitespace-separated, one item per line, '#' starts a comment):
 *   arch NAME                       libseccomp arch name (x86_64, x86, x32, ...)
 *   default ACTION                  raw SECCOMP_RET_* value
 *   badarch ACTION                  optional
 *   rule ACTION NAME N [ARG OP A B]*N
 * OP is one of ne lt le eq ge gt masked_eq; for masked_eq A is the mask and B
 * the value (libseccomp's datum_a and datum_b). Numbers take C prefixes (0x).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARCHES 16
#define MAX_CONDS 6

struct rule {
	uint32_t action;
	char name[64];
	unsigned int nconds;
	struct scmp_arg_cmp conds[MAX_CONDS];
};

struct spec {
	uint32_t arches[MAX_ARCHES];
	char arch_names[MAX_ARCHES][16];
	unsigned int narches;
	uint32_t def;
	int has_badarch;
	uint32_t badarch;
	struct rule *rules;
	size_t nrules, cap;
};

static void die_input(unsigned long line, const char *what)
{
	fprintf(stderr, "libseccomp_peer: input line %lu: %s\n", line, what);
	exit(2);
}

static int parse_u64(const char *tok, uint64_t *out)
{
	char *end;
	if (tok == NULL || *tok == '\0')
		return -1;
	errno = 0;
	*out = strtoull(tok, &end, 0);
	return (errno != 0 || *end != '\0') ? -1 : 0;
}

static int parse_u32(const char *tok, uint32_t *out)
{
	uint64_t v;
	if (parse_u64(tok, &v) != 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_op(const char *tok, enum scmp_compare *op)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{ "ne", SCMP_CMP_NE }, { "lt", SCMP_CMP_LT }, { "le", SCMP_CMP_LE },
		{ "eq", SCMP_CMP_EQ }, { "ge", SCMP_CMP_GE }, { "gt", SCMP_CMP_GT },
		{ "masked_eq", SCMP_CMP_MASKED_EQ },
	};
	if (tok == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(tok, ops[i].name) == 0) {
			*op = ops[i].op;
			return 0;
		}
	}
	return -1;
}

static void read_spec(FILE *in, struct spec *s)
{
	char *line = NULL;
	size_t len = 0;
	unsigned long lineno = 0;
	int has_default = 0;

	while (getline(&line, &len, in) != -1) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		char *save = NULL;
		char *kw = strtok_r(line, " \t\r\n", &save);
		if (kw == NULL)
			continue;
		if (strcmp(kw, "arch") == 0) {
			char *name = strtok_r(NULL, " \t\r\n", &save);
			if (name == NULL)
				die_input(lineno, "arch needs a name");
			uint32_t arch = seccomp_arch_resolve_name(name);
			if (arch == 0)
				die_input(lineno, "arch unknown to libseccomp");
			if (s->narches == MAX_ARCHES)
				die_input(lineno, "too many arches");
			if (strlen(name) >= sizeof(s->arch_names[0]))
				die_input(lineno, "arch name too long");
			strcpy(s->arch_names[s->narches], name);
			s->arches[s->narches++] = arch;
		} else if (strcmp(kw, "default") == 0) {
			if (parse_u32(strtok_r(NULL, " \t\r\n", &save), &s->def) != 0)
				die_input(lineno, "default needs an action");
			has_default = 1;
		} else if (strcmp(kw, "badarch") == 0) {
			if (parse_u32(strtok_r(NULL, " \t\r\n", &save), &s->badarch) != 0)
				die_input(lineno, "badarch needs an action");
			s->has_badarch = 1;
		} else if (strcmp(kw, "rule") == 0) {
			struct rule r;
			memset(&r, 0, sizeof(r));
			if (parse_u32(strtok_r(NULL, " \t\r\n", &save), &r.action) != 0)
				die_input(lineno, "rule needs an action");
			char *name = strtok_r(NULL, " \t\r\n", &save);
			if (name == NULL || strlen(name) >= sizeof(r.name))
				die_input(lineno, "rule needs a syscall name");
			strcpy(r.name, name);
			uint32_t n;
			if (parse_u32(strtok_r(NULL, " \t\r\n", &save), &n) != 0 || n > MAX_CONDS)
				die_input(lineno, "rule needs a condition count of at most 6");
			r.nconds = n;
			for (unsigned int i = 0; i < n; i++) {
				uint32_t arg;
				enum scmp_compare op;
				uint64_t a, b;
				if (parse_u32(strtok_r(NULL, " \t\r\n", &save), &arg) != 0 || arg > 5)
					die_input(lineno, "bad argument index");
				if (parse_op(strtok_r(NULL, " \t\r\n", &save), &op) != 0)
					die_input(lineno, "bad comparison");
				if (parse_u64(strtok_r(NULL, " \t\r\n", &save), &a) != 0 ||
				    parse_u64(strtok_r(NULL, " \t\r\n", &save), &b) != 0)
					die_input(lineno, "bad comparison operand");
				r.conds[i].arg = arg;
				r.conds[i].op = op;
				r.conds[i].datum_a = a;
				r.conds[i].datum_b = b;
			}
			if (strtok_r(NULL, " \t\r\n", &save) != NULL)
				die_input(lineno, "trailing tokens after rule");
			if (s->nrules == s->cap) {
				s->cap = s->cap ? s->cap * 2 : 64;
				s->rules = realloc(s->rules, s->cap * sizeof(*s->rules));
				if (s->rules == NULL) {
					perror("libseccomp_peer: realloc");
					exit(1);
				}
			}
			s->rules[s->nrules++] = r;
		} else {
			die_input(lineno, "unknown keyword");
		}
	}
	free(line);
	if (!has_default)
		die_input(lineno, "no default action");
}

static int same_arg_twice(const struct rule *r)
{
	unsigned int count[6] = { 0 };
	for (unsigned int i = 0; i < r->nconds; i++)
		if (++count[r->conds[i].arg] > 1)
			return 1;
	return 0;
}

static void fail(const char *what, const char *name, int rc)
{
	fprintf(stderr, "libseccomp_peer: %s%s%s: %s\n", what, name ? " " : "",
		name ? name : "", strerror(-rc));
	exit(1);
}

/* Prints what runc and libseccomp will skip, before anything is timed. */
static void report(const struct spec *s)
{
	for (size_t i = 0; i < s->nrules; i++) {
		const struct rule *r = &s->rules[i];
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(s->rules[j].name, r->name) == 0;
		if (r->action == s->def) {
			printf("same-as-default %s\n", r->name);
			continue;
		}
		if (seccomp_syscall_resolve_name(r->name) == __NR_SCMP_ERROR) {
			if (!seen)
				printf("unknown %s\n", r->name);
			continue;
		}
		if (r->nconds > 1 && same_arg_twice(r))
			printf("split %s\n", r->name);
		for (unsigned int a = 0; a < s->narches && !seen; a++) {
			if (seccomp_syscall_resolve_name_arch(s->arches[a], r->name) < 0)
				printf("absent %s %s\n", s->arch_names[a], r->name);
		}
	}
}

/* Builds the filter as runc does. */
static scmp_filter_ctx build(const struct spec *s, unsigned int optimize)
{
	scmp_filter_ctx ctx = seccomp_init(s->def);
	int rc;
	if (ctx == NULL) {
		fprintf(stderr, "libseccomp_peer: seccomp_init failed\n");
		exit(1);
	}
	for (unsigned int i = 0; i < s->narches; i++) {
		rc = seccomp_arch_exist(ctx, s->arches[i]);
		if (rc == -EEXIST) {
			rc = seccomp_arch_add(ctx, s->arches[i]);
			if (rc != 0)
				fail("seccomp_arch_add", NULL, rc);
		}
	}
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0)
		fail("seccomp_attr_set(CTL_NNP)", NULL, rc);
	if (s->has_badarch &&
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, s->badarch)) != 0)
		fail("seccomp_attr_set(ACT_BADARCH)", NULL, rc);
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, optimize)) != 0)
		fail("seccomp_attr_set(CTL_OPTIMIZE)", NULL, rc);

	for (size_t i = 0; i < s->nrules; i++) {
		const struct rule *r = &s->rules[i];
		if (r->action == s->def)
			continue;
		int nr = seccomp_syscall_resolve_name(r->name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (r->nconds > 1 && same_arg_twice(r)) {
			for (unsigned int c = 0; c < r->nconds; c++) {
				rc = seccomp_rule_add_array(ctx, r->action, nr, 1, &r->conds[c]);
				if (rc != 0)
					fail("seccomp_rule_add_array", r->name, rc);
			}
		} else {
			rc = seccomp_rule_add_array(ctx, r->action, nr, r->nconds, r->conds);
			if (rc != 0)
				fail("seccomp_rule_add_array", r->name, rc);
		}
	}
	return ctx;
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s OPTIMIZE RUNS OUT.bpf < SPEC\n", argv[0]);
		return 2;
	}
	uint32_t optimize, runs;
	if (parse_u32(argv[1], &optimize) != 0 || optimize < 1 || optimize > 2 ||
	    parse_u32(argv[2], &runs) != 0 || runs < 1) {
		fprintf(stderr, "libseccomp_peer: OPTIMIZE must be 1 or 2, RUNS at least 1\n");
		return 2;
	}
	struct spec s;
	memset(&s, 0, sizeof(s));
	read_spec(stdin, &s);

	const struct scmp_version *v = seccomp_version();
	printf("version %u.%u.%u\n", v->major, v->minor, v->micro);
	report(&s);

	/* The program goes to an in-memory file first so that every timed export
	 * writes the same way; the last one is copied out. */
	int mfd = memfd_create("libseccomp_peer", 0);
	if (mfd < 0) {
		perror("libseccomp_peer: memfd_create");
		return 1;
	}
	long long *times = calloc(runs, sizeof(*times));
	if (times == NULL) {
		perror("libseccomp_peer: calloc");
		return 1;
	}
	for (uint32_t i = 0; i < runs; i++) {
		if (ftruncate(mfd, 0) != 0 || lseek(mfd, 0, SEEK_SET) != 0) {
			perror("libseccomp_peer: memfd reset");
			return 1;
		}
		long long t0 = now_ns();
		scmp_filter_ctx ctx = build(&s, optimize);
		int rc = seccomp_export_bpf(ctx, mfd);
		long long t1 = now_ns();
		if (rc != 0)
			fail("seccomp_export_bpf", NULL, rc);
		seccomp_release(ctx);
		times[i] = t1 - t0;
	}
	printf("ns");
	for (uint32_t i = 0; i < runs; i++)
		printf(" %lld", times[i]);
	printf("\n");

	off_t size = lseek(mfd, 0, SEEK_END);
	if (size < 0 || lseek(mfd, 0, SEEK_SET) != 0) {
		perror("libseccomp_peer: memfd size");
		return 1;
	}
	FILE *out = fopen(argv[3], "wb");
	if (out == NULL) {
		perror("libseccomp_peer: open output");
		return 1;
	}
	char buf[4096];
	ssize_t n;
	while ((n = read(mfd, buf, sizeof(buf))) > 0) {
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
			perror("libseccomp_peer: write output");
			return 1;
		}
	}
	if (n < 0 || fclose(out) != 0) {
		perror("libseccomp_peer: copy output");
		return 1;
	}
	close(mfd);
	free(times);
	free(s.rules);
	return 0;
}
