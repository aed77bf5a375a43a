//! Release artifacts and the image, from a clean checkout of this commit in another directory:
//! the binary built there is byte for byte the one under test (scripts/test's build), and so
//! are the archives of scripts/release and the image of scripts/image made from each tree; the
//! image holds one file, carries its labels, runs, and its OCI archive is what skopeo copies.

use crate::kubernetes::{Made, supported, unique};
use crate::util::{self, TempDir, finish};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// Runs a command; its standard output, or a panic with what it said.
fn ok(c: &mut Command) -> String {
    let out = finish(c.stdin(Stdio::null()).output().unwrap());
    assert_eq!(out.status, 0, "{c:?}:\n{}\n{}", out.stdout, out.stderr);
    out.stdout
}

fn git(args: &[&str]) -> String {
    ok(Command::new("git").arg("-C").arg(MANIFEST).args(args))
        .trim()
        .to_string()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// An OCI archive unpacked: its blobs by digest.
struct Oci(PathBuf);

impl Oci {
    fn unpack(archive: &Path, dir: &Path) -> Oci {
        std::fs::create_dir_all(dir).unwrap();
        ok(Command::new("tar")
            .arg("-xf")
            .arg(archive)
            .arg("-C")
            .arg(dir));
        Oci(dir.to_path_buf())
    }

    fn blob(&self, digest: &Value) -> PathBuf {
        let digest = digest.as_str().unwrap();
        self.0
            .join("blobs/sha256")
            .join(digest.strip_prefix("sha256:").unwrap())
    }

    /// The manifest list's digest, which names every byte of the image.
    fn index_digest(&self) -> String {
        read_json(&self.0.join("index.json"))["manifests"][0]["digest"].to_string()
    }
}

#[test]
fn a_clean_checkout_elsewhere_gives_the_same_binary_archives_and_image() {
    if !supported() {
        return;
    }
    // A build takes both cores for half a minute: not while others time their threads.
    let _turn = util::cpu_turn();
    let binary = util::binary();
    let head = git(&["rev-parse", "HEAD"]);
    let version = util::run(&["--version"]).ok().stdout;
    // A tree with changes, or a binary of another commit, is a developer's run, not CI's.
    if !util::applies(
        !version.contains("-modified"),
        "src, Cargo.toml or Cargo.lock differ from HEAD, which a clean checkout builds",
    ) || !util::applies(
        version.contains(&format!("commit {}", &head[..12])),
        &format!("the binary under test was not built from HEAD ({version})"),
    ) {
        return;
    }
    // Its target directory, where scripts/test built the aarch64 binary of this commit too.
    let target_dir = binary.ancestors().nth(3).unwrap().to_path_buf();
    let aarch64 = target_dir.join("aarch64-unknown-linux-musl/release/tsnap");
    if !util::require(
        aarch64.exists(),
        "no aarch64 binary beside the x86_64 one (scripts/build builds both)",
    ) {
        return;
    }

    let trees = Trees::build(binary, aarch64, target_dir, head);
    trees.release_archives_are_alike();
    let image = trees.images_are_alike();
    trees.the_image_holds_the_binaries(&image.oci);
    trees.the_image_runs_and_copies(&image);
}

/// This commit checked out and built in another directory, beside the binaries under test
/// (`binary`, and `aarch64` in the same target directory) and the commit they were built from.
struct Trees {
    dir: TempDir,
    checkout: PathBuf,
    binary: PathBuf,
    aarch64: PathBuf,
    target_dir: PathBuf,
    head: String,
}

/// The image scripts/image made in the checkout, removed with its parts when dropped.
struct Image {
    tag: String,
    archive: PathBuf,
    oci: Oci,
    _made: [Made; 3],
    _made_here: [Made; 3],
}

const SOURCE: &str = "https://example.org/tsnap.git";

impl Trees {
    /// Clones HEAD and builds its x86_64 binary there: byte for byte the one under test.
    fn build(binary: PathBuf, aarch64: PathBuf, target_dir: PathBuf, head: String) -> Trees {
        let dir = TempDir::new("release");
        let checkout = dir.0.join("checkout");
        ok(Command::new("git")
            .args(["clone", "--quiet", "--shared", "--no-checkout", MANIFEST])
            .arg(&checkout));
        ok(Command::new("git")
            .arg("-C")
            .arg(&checkout)
            .args(["checkout", "--quiet", "--detach", &head]));
        // The one extra build: x86_64, in the checkout's own target directory.
        let started = std::time::Instant::now();
        ok(Command::new(checkout.join("scripts/build"))
            .arg("x86_64")
            .current_dir(&checkout)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("TSNAP_COMMIT"));
        eprintln!("clean checkout built in {:.0?}", started.elapsed());
        let built = checkout.join("target/x86_64-unknown-linux-musl/release/tsnap");
        assert!(
            std::fs::read(&built).unwrap() == std::fs::read(&binary).unwrap(),
            "{} and {} differ",
            built.display(),
            binary.display()
        );
        // The aarch64 binary as this tree built it: building it there too would cost another
        // build for what the x86_64 one has shown.
        let copy = checkout.join("target/aarch64-unknown-linux-musl/release");
        std::fs::create_dir_all(&copy).unwrap();
        std::fs::copy(&aarch64, copy.join("tsnap")).unwrap();

        Trees {
            dir,
            checkout,
            binary,
            aarch64,
            target_dir,
            head,
        }
    }

    /// scripts/release in both trees: the same archives, in order, owned by root, dated with
    /// the commit, named in SHA256SUMS and the krew manifest.
    fn release_archives_are_alike(&self) {
        let Trees {
            dir,
            checkout,
            binary,
            target_dir,
            ..
        } = self;
        // scripts/release in both trees; here also with a default image for the plugin.
        let release = |tree: &Path, out: &Path, target: Option<&Path>| {
            let mut c = Command::new(tree.join("scripts/release"));
            c.args(["--no-build", "--out"]).arg(out).current_dir(tree);
            match target {
                Some(t) => c.env("CARGO_TARGET_DIR", t),
                None => c.env_remove("CARGO_TARGET_DIR"),
            };
            ok(&mut c);
        };
        let (ours, theirs) = (dir.0.join("dist-here"), dir.0.join("dist-there"));
        release(Path::new(MANIFEST), &ours, Some(target_dir));
        release(checkout, &theirs, None);
        let with_image = dir.0.join("dist-image");
        let mut c = Command::new(Path::new(MANIFEST).join("scripts/release"));
        c.args(["--no-build", "--image", "registry.example/tsnap:1", "--out"])
            .arg(&with_image)
            .env("CARGO_TARGET_DIR", target_dir);
        ok(&mut c);
        let v = env!("CARGO_PKG_VERSION");
        let packed = ok(Command::new("tar")
            .arg("-xzOf")
            .arg(with_image.join(format!("kubectl-tsnap-{v}.tar.gz")))
            .arg("kubectl-tsnap"));
        assert!(packed.contains("\ndefault_image='registry.example/tsnap:1'\n"));
        let sums = std::fs::read_to_string(theirs.join("SHA256SUMS")).unwrap();
        ok(Command::new("sha256sum")
            .args(["--check", "--quiet", "SHA256SUMS"])
            .current_dir(&theirs));
        let names: Vec<&str> = sums.lines().map(|l| &l[66..]).collect();
        let x86 = format!("tsnap-{v}-x86_64-linux-musl.tar.gz");
        let plugin = format!("kubectl-tsnap-{v}.tar.gz");
        assert_eq!(
            names,
            [
                &x86[..],
                &format!("tsnap-{v}-aarch64-linux-musl.tar.gz"),
                &plugin
            ]
        );
        // The archives hold what the tree holds: alike when this tree's README, plugin and
        // manifest are HEAD's.
        let inputs = ["README.md", "scripts/kubectl-tsnap", "scripts/tsnap.yaml"];
        let mut diff = Command::new("git");
        diff.arg("-C")
            .arg(MANIFEST)
            .args(["diff", "--quiet", "HEAD", "--"]);
        if diff.args(inputs).status().unwrap().success() {
            assert_eq!(
                std::fs::read_to_string(ours.join("SHA256SUMS")).unwrap(),
                sums,
                "the archives differ"
            );
            assert_eq!(
                std::fs::read(ours.join("tsnap.yaml")).unwrap(),
                std::fs::read(theirs.join("tsnap.yaml")).unwrap()
            );
        } else {
            eprintln!(
                "note: {inputs:?} differ from HEAD here: the archives were compared by their binaries"
            );
        }
        let member = |archive: &Path, name: &str| {
            let out = Command::new("tar")
                .arg("-xzOf")
                .arg(archive)
                .arg(name)
                .output()
                .unwrap();
            out.stdout
        };
        let inner = format!("tsnap-{v}-x86_64-linux-musl/tsnap");
        assert_eq!(
            member(&ours.join(&x86), &inner),
            member(&theirs.join(&x86), &inner)
        );
        assert_eq!(
            member(&theirs.join(&x86), &inner),
            std::fs::read(binary).unwrap()
        );
        // Files in order, owned by 0:0, dated with the commit.
        let listing = ok(Command::new("tar")
            .args(["--numeric-owner", "--full-time", "-tvzf"])
            .arg(theirs.join(&plugin)));
        let time = git(&[
            "log",
            "-1",
            "--format=%cd",
            "--date=format-local:%Y-%m-%d %H:%M:%S",
        ]);
        let listed: Vec<(String, String)> = listing
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (
                    format!("{} {} {} {}", f[0], f[1], f[3], f[4]),
                    f[5].to_string(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                ("-rwxr-xr-x", "kubectl-tsnap"),
                ("-rwxr-xr-x", "tsnap-x86_64-linux-musl"),
                ("-rwxr-xr-x", "tsnap-aarch64-linux-musl"),
                ("-rw-r--r--", "README.md"),
            ]
            .map(|(mode, name)| (format!("{mode} 0/0 {time}"), name.to_string())),
            "with TZ={:?}",
            std::env::var("TZ")
        );
        // gzip without a name or a time: flags 0 (no FNAME), mtime 0.
        let gz = std::fs::read(theirs.join(&plugin)).unwrap();
        assert_eq!(gz[..8], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
        // The krew manifest names that archive's digest.
        let krew = std::fs::read_to_string(theirs.join("tsnap.yaml")).unwrap();
        let sha = &sums.lines().nth(2).unwrap()[..64];
        assert!(krew.contains(&format!("      sha256: {sha}\n")), "{krew}");
        assert!(krew.contains(&format!("  version: v{v}\n")), "{krew}");
    }

    /// scripts/image in both trees: the same image, to the digest.
    fn images_are_alike(&self) -> Image {
        let Trees {
            dir,
            checkout,
            target_dir,
            ..
        } = self;
        let v = env!("CARGO_PKG_VERSION");
        // scripts/image in both trees: the same image, to the digest.
        let source = SOURCE;
        let image = |tree: &Path, name: &str, target: Option<&Path>| {
            let tag = format!("localhost/{}:{v}", unique(name));
            let made = [
                Made::manifest(tag.clone()),
                Made::image(format!("{tag}-amd64")),
                Made::image(format!("{tag}-arm64")),
            ];
            let archive = dir.0.join(format!("{name}.oci.tar"));
            let mut c = Command::new(tree.join("scripts/image"));
            c.args([
                "--no-build",
                "--tag",
                &tag,
                "--source",
                source,
                "--oci-archive",
            ])
            .arg(&archive)
            .current_dir(tree);
            match target {
                Some(t) => c.env("CARGO_TARGET_DIR", t),
                None => c.env_remove("CARGO_TARGET_DIR"),
            };
            eprint!("{}", ok(&mut c));
            (tag, made, archive)
        };
        let (tag, _made, archive) = image(checkout, "image-there", None);
        let (_, _made_here, archive_here) =
            image(Path::new(MANIFEST), "image-here", Some(target_dir));
        let oci = Oci::unpack(&archive, &dir.0.join("oci"));
        let oci_here = Oci::unpack(&archive_here, &dir.0.join("oci-here"));
        assert_eq!(
            oci.index_digest(),
            oci_here.index_digest(),
            "the images differ"
        );

        Image {
            tag,
            archive,
            oci,
            _made,
            _made_here,
        }
    }

    /// Each platform's manifest: the entrypoint, no user, the labels, one layer holding the
    /// binary alone.
    fn the_image_holds_the_binaries(&self, oci: &Oci) {
        let Trees {
            dir,
            binary,
            aarch64,
            head,
            ..
        } = self;
        let (v, source) = (env!("CARGO_PKG_VERSION"), SOURCE);
        let index =
            read_json(&oci.blob(&read_json(&oci.0.join("index.json"))["manifests"][0]["digest"]));
        let manifests = index["manifests"].as_array().unwrap();
        let platforms: Vec<String> = manifests
            .iter()
            .map(|m| format!("{}/{}", m["platform"]["os"], m["platform"]["architecture"]))
            .collect();
        assert_eq!(platforms, ["\"linux\"/\"amd64\"", "\"linux\"/\"arm64\""]);
        for (m, bin) in manifests.iter().zip([&binary, &aarch64]) {
            let manifest = read_json(&oci.blob(&m["digest"]));
            let config = read_json(&oci.blob(&manifest["config"]["digest"]));
            assert_eq!(
                config["config"]["Entrypoint"],
                serde_json::json!(["/tsnap"])
            );
            // No user: root, whose capabilities a debug profile adds to.
            assert!(
                config["config"]["User"].as_str().unwrap_or("").is_empty(),
                "{config}"
            );
            let labels = &config["config"]["Labels"];
            assert_eq!(labels["org.opencontainers.image.source"], source);
            assert_eq!(labels["org.opencontainers.image.version"], v);
            assert_eq!(labels["org.opencontainers.image.revision"], head.as_str());
            assert_eq!(
                labels["org.opencontainers.image.licenses"],
                env!("CARGO_PKG_LICENSE")
            );
            let created = git(&[
                "log",
                "-1",
                "--format=%cd",
                "--date=format:%Y-%m-%dT%H:%M:%SZ",
            ]);
            assert_eq!(labels["org.opencontainers.image.created"], created.as_str());
            // One layer, one file: the binary.
            let layers = manifest["layers"].as_array().unwrap();
            assert_eq!(layers.len(), 1, "{manifest}");
            let layer = dir.0.join("layer.tar");
            let tar = Command::new("gzip")
                .arg("-dc")
                .arg(oci.blob(&layers[0]["digest"]))
                .output()
                .unwrap();
            assert!(tar.status.success());
            std::fs::write(&layer, tar.stdout).unwrap();
            let listing = ok(Command::new("tar")
                .args(["--numeric-owner", "-tvf"])
                .arg(&layer));
            let bytes = std::fs::read(bin).unwrap();
            let entries: Vec<Vec<&str>> = listing
                .lines()
                .map(|l| l.split_whitespace().collect())
                .collect();
            assert_eq!(entries.len(), 1, "{listing}");
            assert_eq!(
                entries[0][..3],
                ["-rwxr-xr-x", "0/0", &bytes.len().to_string()]
            );
            assert_eq!(entries[0][5], "tsnap");
            let file = Command::new("tar")
                .arg("-xOf")
                .arg(&layer)
                .arg("tsnap")
                .output()
                .unwrap();
            assert!(file.stdout == bytes, "the image's /tsnap is not the binary");
            // The image: the binary and its metadata.
            let size = std::fs::metadata(&layer).unwrap().len()
                + manifest["config"]["size"].as_u64().unwrap()
                + m["size"].as_u64().unwrap();
            eprintln!(
                "{}: {size} bytes, the binary {} ({} compressed)",
                m["platform"]["architecture"],
                bytes.len(),
                layers[0]["size"]
            );
            assert!(size - (bytes.len() as u64) < 8192, "{size} bytes");
        }
    }

    /// The image runs under podman and says its version; skopeo copies it whole.
    fn the_image_runs_and_copies(&self, image: &Image) {
        let (v, head, dir) = (env!("CARGO_PKG_VERSION"), &self.head, &self.dir);
        let Image {
            tag, archive, oci, ..
        } = image;
        let out = ok(crate::kubernetes::podman()
            .args(["run", "--rm", "--network", "none"])
            .args([
                "--ulimit",
                "nofile=1024:1024",
                "--ulimit",
                "nproc=4096:4096",
            ])
            .args([tag, "--version"]));
        assert_eq!(
            out,
            format!("tsnap {v} (commit {}, x86_64-linux-musl)\n", &head[..12])
        );

        // What skopeo copies to a registry, to a directory here.
        let copied = dir.0.join("copied");
        match Command::new("skopeo")
            .args(["copy", "--quiet", "--all"])
            .arg(format!("oci-archive:{}", archive.display()))
            .arg(format!("oci:{}", copied.display()))
            .output()
        {
            Ok(o) => {
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                let copy = Oci(copied);
                assert_eq!(copy.index_digest(), oci.index_digest());
            }
            Err(e) => {
                util::require(false, &format!("skopeo is not installed ({e})"));
            }
        }
    }
}
