// Prints include dirs, libraries or link flags for node-gyp. LIBTORCH=/path selects another
// libtorch (a CUDA build, say), as tch-rs does; otherwise Debian's libtorch-dev is used.
const path = require("node:path");
const root = process.env.LIBTORCH;
const what = process.argv[2];
const out = {
  include: root
    ? [path.join(root, "include"), path.join(root, "include/torch/csrc/api/include")]
    : ["/usr/include/torch/csrc/api/include"],
  libs: root
    ? [`-L${path.join(root, "lib")}`, `-Wl,-rpath,${path.join(root, "lib")}`, "-ltorch", "-ltorch_cpu", "-lc10"]
    : ["-ltorch", "-ltorch_cpu", "-lc10"],
};
if (!(what in out)) throw new Error(`torch-paths: expected include|libs, got ${what}`);
console.log(out[what].join(" "));
