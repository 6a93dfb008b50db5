@_exported public import SkiffJSON
@_exported public import SkiffAPIModels
