# The model-tester GPU box, as a launch template: `model-tester remote start|deploy|test|stop`
# drives an instance launched from it through SSM. A template costs nothing; the operator
# launches the box when needed (README, "Deploying to AWS") and stops it after; a box left
# running stops itself once idle for idle_stop_minutes (idle_stop.sh).
#
# The ECS GPU-optimised AMI (Amazon Linux 2023, the same one vLLM runs on) already has what
# `docker run --gpus all` needs: Docker, the NVIDIA driver and container toolkit, the SSM
# agent. The image it pulls is built with CUDA torch by `ftm cloud deploy`.

locals {
  instance_name = "${var.name}-model-tester"
  # What `model-tester remote ...` reads with FTM_USE_SSM=true (ModelTesterSettings).
  settings = {
    remote_instance_tag = "Name=${local.instance_name}"
    remote_image        = var.image
  }
}

data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter
}

resource "aws_launch_template" "tester" {
  # checkov:skip=CKV_AWS_341: the tester runs in a Docker container on this box; its metadata calls cross the bridge (one hop more), and with hop limit 1 it gets no credentials
  name                   = local.instance_name
  description            = "model-tester GPU box (launch with: aws ec2 run-instances --launch-template LaunchTemplateName=${local.instance_name} --subnet-id ...)"
  image_id               = data.aws_ssm_parameter.ami.value
  instance_type          = var.instance_type
  vpc_security_group_ids = [var.security_group_id]
  update_default_version = true
  # The idle stop powers the box off from inside; this makes that a stop, not a termination.
  instance_initiated_shutdown_behavior = "stop"
  user_data = base64encode(templatefile("${path.module}/user_data.sh.tftpl", {
    idle_stop_script = chomp(file("${path.module}/idle_stop.sh"))
    idle_minutes     = var.idle_stop_minutes
  }))
  tags = var.tags

  iam_instance_profile {
    arn = var.instance_profile_arn
  }

  # The tester runs in a container: its calls to the instance metadata service cross the
  # Docker bridge, one hop more than the host's, so the token's hop limit must be 2 or the
  # container gets no credentials.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.root_volume_gb
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = local.instance_name })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, { Name = local.instance_name })
  }
}

resource "aws_ssm_parameter" "setting" {
  # checkov:skip=CKV2_AWS_34: an instance tag and an image URI, not secrets
  for_each = local.settings

  name  = "${var.ssm_prefix}${each.key}"
  type  = "String"
  value = each.value
  tags  = var.tags
}
