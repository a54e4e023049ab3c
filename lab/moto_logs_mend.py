"""Two gaps of moto 5.2 around OpenSearch, mended so the logs tier and the stock community.aws.opensearch modules run against the lab.

Firehose's OpenSearch Service destination, which moto leaves out:

moto's CreateDeliveryStream knows the Elasticsearch destination but not AmazonopensearchserviceDestinationConfiguration
(what AWS wants for an OpenSearch domain): it answers "Exactly one destination configuration is supported". The lab's
answer: the OpenSearch configuration is stored as moto stores the Elasticsearch one, under the name AWS describes it by
(AmazonopensearchserviceDestinationDescription, with VpcConfigurationDescription). UpdateDestination of that destination
stays unimplemented (the tier's unit tests check that request with Stubber).

DescribeDomainConfig's AutoTuneOptions without MaintenanceSchedules (AWS always answers the list, empty or not):
community.aws.opensearch and opensearch_info read it on every run and fail with KeyError without it.

Installed by lab/moto_server.py; nothing in plugins/ knows about it.
"""

from moto.core.responses import ActionResult
from moto.firehose.responses import FirehoseResponse
from moto.opensearch.models import OpenSearchDomain

_ORIGINAL = FirehoseResponse.create_delivery_stream
_CONFIG = OpenSearchDomain.to_config_dict
OPENSEARCH = "AmazonopensearchserviceDestinationConfiguration"


def create_delivery_stream(self):
    config = self._get_param(OPENSEARCH)
    if not config:
        return _ORIGINAL(self)
    name = self._get_param("DeliveryStreamName")
    backend = self.firehose_backend
    arn = backend.create_delivery_stream(
        self.region,
        name,
        self._get_param("DeliveryStreamType"),
        self._get_param("KinesisStreamSourceConfiguration"),
        self._get_param("DeliveryStreamEncryptionConfigurationInput"),
        None,
        None,
        None,
        config,  # stored as an Elasticsearch destination, renamed below
        None,
        None,
        None,
        None,
        self._get_param("Tags"),
    )
    destination = backend.delivery_streams[name].destinations[0]
    described = destination.pop("Elasticsearch")
    if "VpcConfiguration" in described:
        described["VpcConfigurationDescription"] = described.pop("VpcConfiguration")
    destination["Amazonopensearchservice"] = described
    return ActionResult({"DeliveryStreamARN": arn})


def to_config_dict(self):
    config = _CONFIG(self)
    auto_tune = config.setdefault("AutoTuneOptions", {"Options": {"DesiredState": "DISABLED"}, "Status": self._status_block()})
    auto_tune.setdefault("Options", {}).setdefault("MaintenanceSchedules", [])
    return config


def install_logs_mend():
    FirehoseResponse.create_delivery_stream = create_delivery_stream
    OpenSearchDomain.to_config_dict = to_config_dict
