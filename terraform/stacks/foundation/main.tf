# Applied first: the images are pushed into these repositories before `platform` names them.
module "storage" {
  source = "../../modules/storage"

  name        = var.name
  region      = var.region
  bucket_name = var.bucket_name
  services    = var.services
  ssm_prefix  = var.ssm_prefix
}
