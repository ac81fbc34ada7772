"""The GPU hosts a run's vLLM served from, as the Auto Scaling group launched them (moto)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ftm_ops.cloud.hosts import describe, gpu_hosts

pytestmark = pytest.mark.unit
REGION = "us-east-1"


@mock_aws
def test_each_instance_of_the_group_with_its_type_and_ami() -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    autoscaling = boto3.client("autoscaling", region_name=REGION)
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    template = ec2.create_launch_template(
        LaunchTemplateName="ftm-gpu",
        LaunchTemplateData={"ImageId": ami, "InstanceType": "g5.xlarge"},
    )["LaunchTemplate"]["LaunchTemplateId"]
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="ftm-gpu",
        LaunchTemplate={"LaunchTemplateId": template},
        MinSize=0,
        MaxSize=2,
        DesiredCapacity=0,
        AvailabilityZones=[f"{REGION}a"],
    )
    assert gpu_hosts(autoscaling, ec2, "ftm-gpu") == []
    autoscaling.set_desired_capacity(AutoScalingGroupName="ftm-gpu", DesiredCapacity=2)
    hosts = gpu_hosts(autoscaling, ec2, "ftm-gpu")
    assert len(hosts) == 2
    assert {(h["instance_type"], h["image_id"], h["market"]) for h in hosts} == {
        ("g5.xlarge", ami, "on-demand")
    }
    first = hosts[0]["instance_id"]
    assert describe(hosts).startswith(f"{first} (g5.xlarge, {ami}, on-demand), i-")
