#!/usr/bin/env bash
# A folder of files that never change once written (a long job's chunks, recordings), kept
# compressed in git so that a fresh clone resumes the job from them.
# Usage: bash scripts/kept-folder.sh archive FOLDER ARCHIVE [EXCLUDE...]   rewrite ARCHIVE (.tar.gz) from
#          FOLDER, leaving out what each EXCLUDE names (a tar pattern: what the job can remake, or needs no more),
#          and always temporary files and run locks (a lock belongs to a process of this machine)
#        bash scripts/kept-folder.sh restore FOLDER ARCHIVE   add ARCHIVE's top-level entries missing in FOLDER
#        bash scripts/kept-folder.sh restore-fresh FOLDER ARCHIVE   restore only where FOLDER is missing or
#          empty (a folder whose files depend on each other, a ranking's or a training round's: adding an
#          archive's files to a folder of its own could mix two runs)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 3 ] || { [ $# -gt 3 ] && [ "$1" = archive ]; } || { echo "usage: kept-folder.sh archive FOLDER ARCHIVE [EXCLUDE...] | restore[-fresh] FOLDER ARCHIVE" >&2; exit 2; }
folder=${2%/}; kept=$3; exclude=(--exclude='*.tmp*' --exclude=run.lock)
for pattern in "${@:4}"; do exclude+=(--exclude="$pattern"); done
parent=$(dirname "$folder"); base=$(basename "$folder")
mode=$1
if [ "$mode" = restore-fresh ]; then
  if [ -n "$(ls -A "$folder" 2>/dev/null)" ]; then
    [ ! -f "$kept" ] || echo "kept-folder: $folder is there: $kept not added (move the folder aside to restore it)" >&2
    exit 0
  fi
  rmdir "$folder" 2>/dev/null || true # an empty folder: restored in one rename
  mode=restore
fi
case "$mode" in
  archive)
    mkdir -p "$(dirname "$kept")"
    # names sorted, owners and times fixed: the same files make the same bytes, so an unchanged folder leaves git clean
    tar cf - --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner "${exclude[@]}" -C "$parent" "$base" | gzip -n > "$kept.tmp" && mv "$kept.tmp" "$kept" ;;
  restore)
    [ -f "$kept" ] || exit 0
    # into a folder of its own first: a kill mid-way leaves no half-written file in FOLDER
    mkdir -p "$parent"
    tmp=$(mktemp -d "$parent/.$base.XXXX")
    tar xzf "$kept" -C "$tmp"
    if [ ! -e "$folder" ]; then
      # a fresh folder in one rename: never half restored
      mv "$tmp/$base" "$folder"
    else
      shopt -s nullglob
      for f in "$tmp/$base"/*; do [ -e "$folder/$(basename "$f")" ] || mv "$f" "$folder/"; done
    fi
    rm -rf "$tmp" ;;
  *) echo "usage: kept-folder.sh archive FOLDER ARCHIVE [EXCLUDE...] | restore[-fresh] FOLDER ARCHIVE" >&2; exit 2 ;;
esac
