// Image folders in torchvision's ImageFolder layout: DIR/<class>/**/*.{jpg,jpeg,png} (any case;
// class = sub-folder, in sorted byte order = label order; files sorted). DIR/train and DIR/val,
// when both exist, are the training and validation sets (val's classes must be train's);
// otherwise every class gives a tenth of its files (at least one when it has two), picked by a
// hash of the file name so that adding photos does not move the others, to validation.
//
// Listing reads only headers (the first 64 KiB of each file): sizes, to size the loader's buffers
// once. A file whose header cannot be read is skipped with one warning line; a damaged body is
// found when decoded (runtime/batch_loader.h).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "image_set.h"
#include "edgetrain/status.h"

namespace edgetrain {

struct FolderOptions {
  uint32_t height = 0, width = 0, channels = 0;  // the plan's input
  uint32_t classes = 0;                           // the plan's logits: must equal the class count
  FILE* warnings = stderr;
};

// Lists DIR into a training and a validation set of files (ImageSet::paths).
Status load_image_folder(const std::string& dir, const FolderOptions& options, ImageSet* train, ImageSet* val,
                         uint32_t* skipped);

}  // namespace edgetrain
