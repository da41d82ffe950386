/**
 * A stand-in for `cargo`, for tests of lambda-kit dev that are not about Rust (signals, locks,
 * pollers, schedules). `cargo metadata` answers as cargo does for a crate with one binary, `pkg`;
 * any other command runs `build`, by default one that writes the JavaScript runtime at
 * $RUNTIME_JS, run by this Node.js, as the crate's bootstrap under $CARGO_TARGET_DIR, where
 * cargo lambda leaves it, so dev runs it as it runs a built function.
 */
export function standInCargo(pkg: string, build: string = writeBootstrap()): string {
  return `#!/bin/sh
target="$CARGO_TARGET_DIR"
pkg=${pkg}
if [ "$1" = metadata ]; then
  printf '{"target_directory":"%s","packages":[{"manifest_path":"%s/Cargo.toml","targets":[{"name":"%s","kind":["bin"]}]}]}\\n' "$target" "$PWD" "$pkg"
  exit 0
fi
${build}`;
}

/**
 * Shell that writes the bootstrap: a shebang for this Node.js, `prelude` lines (JavaScript echoed
 * before the runtime), then $RUNTIME_JS. Written in place, as cargo lambda copies it: a process
 * running this very file would make the write fail (ETXTBSY).
 */
export function writeBootstrap(prelude = ''): string {
  return `mkdir -p "$target/lambda/$pkg"
{ echo '#!${process.execPath}';${prelude ? ` ${prelude};` : ''} cat "$RUNTIME_JS"; } > "$target/lambda/$pkg/bootstrap" || exit 1
chmod +x "$target/lambda/$pkg/bootstrap"
`;
}
