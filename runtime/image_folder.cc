#include "image_folder.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "image_decode.h"
#include "image_resample.h"

namespace edgetrain {

namespace {

constexpr size_t kHeaderBytes = 64 << 10;  // JPEG's frame header follows its EXIF block (<= 64 KiB)
constexpr uint32_t kMaxClasses = 256;      // labels are bytes

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool has_image_extension(const char* name) {
  const char* dot = std::strrchr(name, '.');
  if (!dot) return false;
  return strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0 || strcasecmp(dot, ".png") == 0;
}

// The entries of `dir` (no hidden ones), sorted; sub-folders and files apart.
Status list_dir(const std::string& dir, std::vector<std::string>* folders, std::vector<std::string>* files) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    return Status::error(StatusCode::IoError, "cannot read folder '%s': %s", dir.c_str(), std::strerror(errno));
  }
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string path = dir + "/" + e->d_name;
    if (is_dir(path)) {
      folders->push_back(e->d_name);
    } else if (has_image_extension(e->d_name)) {
      files->push_back(path);
    }
  }
  ::closedir(d);
  std::sort(folders->begin(), folders->end());
  std::sort(files->begin(), files->end());
  return Status::ok();
}

// Every image file under `dir`, sorted level by level (as os.walk with sorted names).
Status list_images(const std::string& dir, std::vector<std::string>* out) {
  std::vector<std::string> folders, files;
  EDGETRAIN_RETURN_IF_ERROR(list_dir(dir, &folders, &files));
  out->insert(out->end(), files.begin(), files.end());
  for (const std::string& f : folders) EDGETRAIN_RETURN_IF_ERROR(list_images(dir + "/" + f, out));
  return Status::ok();
}

// Reads the file's first bytes (all of it when `whole`) and its size.
Status read_head(const std::string& path, bool whole, std::vector<uint8_t>* bytes, uint64_t* file_size) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::error(StatusCode::IoError, "cannot open image '%s': %s", path.c_str(), std::strerror(errno));
  struct stat st;
  const bool sized = ::fstat(fileno(f), &st) == 0;
  *file_size = sized ? static_cast<uint64_t>(st.st_size) : 0;
  bytes->resize(whole ? *file_size : std::min<uint64_t>(*file_size, kHeaderBytes));
  const size_t n = std::fread(bytes->data(), 1, bytes->size(), f);
  std::fclose(f);
  if (!sized || n != bytes->size()) {
    return Status::error(StatusCode::IoError, "cannot read image '%s'", path.c_str());
  }
  return Status::ok();
}

uint64_t name_hash(const std::string& path) {  // FNV-1a of the file's name within its class
  const size_t slash = path.rfind('/');
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = slash == std::string::npos ? 0 : slash + 1; i < path.size(); ++i) {
    h = (h ^ static_cast<uint8_t>(path[i])) * 0x100000001b3ull;
  }
  return h;
}

// Adds `path` to `set` if its header reads; sizes the loader's buffers for its largest decode
// (at the augmentation's 8/7 zoom, the larger of the two crops).
bool add_file(const std::string& path, uint32_t label, const FolderOptions& o, std::vector<uint8_t>& head,
              ImageSet* set) {
  uint64_t file_size = 0;
  uint32_t w = 0, h = 0;
  Status s = read_head(path, false, &head, &file_size);
  if (s.is_ok()) {
    s = read_image_size(path.c_str(), head.data(), head.size(), &w, &h);
    if (!s.is_ok() && head.size() < file_size) {  // a frame header past the first 64 KiB
      s = read_head(path, true, &head, &file_size);
      if (s.is_ok()) s = read_image_size(path.c_str(), head.data(), head.size(), &w, &h);
    }
  }
  if (!s.is_ok()) {
    std::fprintf(o.warnings, "edgetrain-train: warning: %s; skipped\n", s.message());
    return false;
  }
  uint32_t need_w = 0, need_h = 0, dw = 0, dh = 0;
  covering_size(w, h, random_window(w, h, o.width, o.height, 0), &need_w, &need_h);
  decoded_size(sniff_image(head.data(), head.size()), w, h, need_w, need_h, &dw, &dh);
  set->paths.push_back(path);
  set->labels.push_back(static_cast<uint8_t>(label));
  set->max_file_bytes = std::max(set->max_file_bytes, file_size);
  set->max_decoded_bytes = std::max<uint64_t>(set->max_decoded_bytes, uint64_t{dw} * dh * o.channels);
  set->max_resample_floats =
      std::max<uint64_t>(set->max_resample_floats, resample_scratch_floats(dh, o.width, o.channels));
  return true;
}

void start_set(const FolderOptions& o, const std::vector<std::string>& classes, ImageSet* set) {
  *set = ImageSet{};
  set->height = o.height, set->width = o.width, set->channels = o.channels;
  set->class_names = classes;
}

Status finish_set(const char* what, const std::string& dir, ImageSet* set) {
  set->count = static_cast<uint32_t>(set->paths.size());
  if (set->count == 0) {
    return Status::error(StatusCode::BadData, "no readable %s images in '%s' (see the warnings above)", what,
                         dir.c_str());
  }
  return Status::ok();
}

}  // namespace

Status load_image_folder(const std::string& dir, const FolderOptions& o, ImageSet* train, ImageSet* val,
                         uint32_t* skipped) {
  if (o.channels != 1 && o.channels != 3 && o.channels != 4) {
    return Status::error(StatusCode::InvalidArgument, "image folders feed plans of 1, 3 or 4 channels; this "
                         "plan's input has %u", o.channels);
  }
  const bool split = is_dir(dir + "/train") && is_dir(dir + "/val");
  const std::string train_dir = split ? dir + "/train" : dir;
  std::vector<std::string> classes, loose;
  EDGETRAIN_RETURN_IF_ERROR(list_dir(train_dir, &classes, &loose));
  if (classes.empty()) {
    return Status::error(StatusCode::BadData, "'%s' has no class folders: put the images in %s/<class>/*.jpg "
                         "(or .jpeg, .png), one folder per class", train_dir.c_str(), train_dir.c_str());
  }
  if (classes.size() > kMaxClasses || classes.size() != o.classes) {
    return Status::error(StatusCode::InvalidArgument, "'%s' has %zu class folders (%s, ...) but the plan has %u "
                         "classes: plan the model with --classes %zu", train_dir.c_str(), classes.size(),
                         classes[0].c_str(), o.classes, classes.size());
  }
  start_set(o, classes, train);
  start_set(o, classes, val);
  std::vector<uint8_t> head;
  uint32_t bad = 0;
  for (uint32_t c = 0; c < classes.size(); ++c) {
    std::vector<std::string> files;
    EDGETRAIN_RETURN_IF_ERROR(list_images(train_dir + "/" + classes[c], &files));
    if (files.empty()) {
      return Status::error(StatusCode::BadData, "class folder '%s/%s' holds no .jpg, .jpeg or .png images: add "
                           "some or remove the folder", train_dir.c_str(), classes[c].c_str());
    }
    std::vector<std::string> held_out;
    if (!split && files.size() >= 2) {
      std::vector<std::string> by_hash = files;
      std::sort(by_hash.begin(), by_hash.end(), [](const std::string& a, const std::string& b) {
        return name_hash(a) != name_hash(b) ? name_hash(a) < name_hash(b) : a < b;
      });
      held_out.assign(by_hash.begin(), by_hash.begin() + std::max<size_t>(1, files.size() / 10));
      std::sort(held_out.begin(), held_out.end());
    }
    for (const std::string& f : files) {
      const bool to_val = std::binary_search(held_out.begin(), held_out.end(), f);
      bad += add_file(f, c, o, head, to_val ? val : train) ? 0 : 1;
    }
    if (!split) continue;
    const std::string val_class = dir + "/val/" + classes[c];
    files.clear();
    if (is_dir(val_class)) EDGETRAIN_RETURN_IF_ERROR(list_images(val_class, &files));
    for (const std::string& f : files) bad += add_file(f, c, o, head, val) ? 0 : 1;
  }
  if (split) {
    std::vector<std::string> val_classes, val_loose;
    EDGETRAIN_RETURN_IF_ERROR(list_dir(dir + "/val", &val_classes, &val_loose));
    for (const std::string& c : val_classes) {
      if (!std::binary_search(classes.begin(), classes.end(), c)) {
        return Status::error(StatusCode::BadData, "'%s/val/%s' is a class that '%s/train' does not have: rename "
                             "or remove it", dir.c_str(), c.c_str(), dir.c_str());
      }
    }
  }
  EDGETRAIN_RETURN_IF_ERROR(finish_set("training", train_dir, train));
  EDGETRAIN_RETURN_IF_ERROR(finish_set("validation", split ? dir + "/val" : dir, val));
  *skipped = bad;
  return Status::ok();
}

}  // namespace edgetrain
